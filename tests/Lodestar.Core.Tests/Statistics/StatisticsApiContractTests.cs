using System.Text.Json;
using Lodestar.Core.Statistics.Api;

namespace Lodestar.Core.Tests.Statistics;

/// <summary>The public JSON contract: field names, nulls for missing or unbounded values, and validation paths.</summary>
public class StatisticsApiContractTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private const string ExampleRequest = """
        {"metric": {"statisticType": "mean", "mainMetricType": "count", "inverse": false},
         "settings": {"statsEngine": "frequentist", "differenceType": "relative", "alpha": 0.05, "weights": [0.5, 0.5],
                      "pValueCorrection": null},
         "variations": [{"users": 100, "count": 100, "mainSum": 270, "mainSumSquares": 848.79, "covariateSum": null},
                        {"users": 120, "count": 120, "mainSum": 300, "mainSumSquares": 869}]}
        """;

    private static AnalyzeRequest Parse(string json) => JsonSerializer.Deserialize<AnalyzeRequest>(json, Web)!;

    private static IReadOnlyDictionary<string, string[]> Errors(string json)
    {
        var result = StatisticsRequestHandler.Analyze(Parse(json));
        Assert.False(result.IsValid);
        return result.Errors;
    }

    [Fact]
    public void Analyze_ExampleRequest_ProducesGbstatsNumbersInCamelCaseJson()
    {
        var result = StatisticsRequestHandler.Analyze(Parse(ExampleRequest));
        Assert.True(result.IsValid);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(result.Value, Web));
        var root = json.RootElement;
        Assert.InRange(root.GetProperty("srm").GetDouble(), 0, 1);
        var baseline = root.GetProperty("variations")[0];
        Assert.Equal(100, baseline.GetProperty("users").GetDouble());
        Assert.Equal(2.7, baseline.GetProperty("cr").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, baseline.GetProperty("pValue").ValueKind);
        var treatment = root.GetProperty("variations")[1];
        Expect.Rounded(0.145219005, treatment.GetProperty("pValue").GetDouble(), 9);
        Expect.Rounded(-0.074074074, treatment.GetProperty("expected").GetDouble(), 9);
        Assert.Equal(2, treatment.GetProperty("ci").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, treatment.GetProperty("chanceToWin").ValueKind);
        Assert.Equal(JsonValueKind.Null, treatment.GetProperty("errorMessage").ValueKind);
        Assert.Equal("normal", treatment.GetProperty("uplift").GetProperty("dist").GetString());
    }

    [Fact]
    public void Analyze_OneSidedInterval_SerializesTheUnboundedEndAsNull()
    {
        var request = Parse(ExampleRequest.Replace("\"alpha\": 0.05", "\"alpha\": 0.05, \"oneSidedIntervals\": true", StringComparison.Ordinal));
        var json = JsonSerializer.Serialize(StatisticsRequestHandler.Analyze(request).Value, Web);
        using var doc = JsonDocument.Parse(json);
        var ci = doc.RootElement.GetProperty("variations")[1].GetProperty("ci");
        Assert.Equal(JsonValueKind.Null, ci[0].ValueKind);
        Assert.Equal(JsonValueKind.Number, ci[1].ValueKind);
    }

    [Fact]
    public void Analyze_ZeroVarianceData_ReportsEngineErrorInTheEntry()
    {
        var json = ExampleRequest.Replace("\"mainSumSquares\": 848.79", "\"mainSumSquares\": 729", StringComparison.Ordinal);
        var result = StatisticsRequestHandler.Analyze(Parse(json));
        Assert.True(result.IsValid);
        Assert.Equal("ZERO_NEGATIVE_VARIANCE", result.Value!.Variations[1].ErrorMessage);
        Assert.Equal(1, result.Value.Variations[1].PValue);
    }

    [Fact]
    public void Analyze_ZeroBaseline_ReportsEngineErrorInTheEntry()
    {
        var json = ExampleRequest.Replace("\"mainSum\": 270, \"mainSumSquares\": 848.79", "\"mainSum\": 0, \"mainSumSquares\": 0", StringComparison.Ordinal)
            .Replace("\"frequentist\"", "\"bayesian\"", StringComparison.Ordinal);
        var result = StatisticsRequestHandler.Analyze(Parse(json));
        Assert.True(result.IsValid);
        Assert.NotNull(result.Value!.Variations[1].ErrorMessage);
        Assert.Equal(0.5, result.Value.Variations[1].ChanceToWin);
    }

    [Fact]
    public void Validation_NegativeUsers_NamesTheField() =>
        Assert.Contains("variations[1].users", Errors(ExampleRequest.Replace("\"users\": 120", "\"users\": -5", StringComparison.Ordinal)).Keys);

    [Fact]
    public void Validation_WeightsNotSummingToOne_NamesTheField() =>
        Assert.Contains("settings.weights", Errors(ExampleRequest.Replace("[0.5, 0.5]", "[0.5, 0.4]", StringComparison.Ordinal)).Keys);

    [Fact]
    public void Validation_SingleVariation_NamesVariations()
    {
        const string json = """{"metric": {"statisticType": "mean", "mainMetricType": "binomial"}, "variations": [{"users": 10, "mainSum": 3}]}""";
        Assert.Contains("variations", Errors(json).Keys);
    }

    [Fact]
    public void Validation_RatioWithoutDenominators_NamesEachMissingField()
    {
        var errors = Errors(ExampleRequest.Replace("\"statisticType\": \"mean\"", "\"statisticType\": \"ratio\"", StringComparison.Ordinal));
        Assert.Contains("metric.denominatorMetricType", errors.Keys);
        Assert.Contains("variations[0].denominatorSum", errors.Keys);
        Assert.Contains("variations[1].mainDenominatorSumProduct", errors.Keys);
    }

    [Fact]
    public void Validation_CupedWithoutCovariate_NamesTheField()
    {
        var errors = Errors(ExampleRequest.Replace("\"alpha\": 0.05", "\"alpha\": 0.05, \"regressionAdjusted\": true", StringComparison.Ordinal));
        Assert.Contains("variations[0].covariateSum", errors.Keys);
        Assert.Contains("variations[1].mainCovariateSumProduct", errors.Keys);
    }

    [Fact]
    public void Validation_UnknownEngineAndBadAlpha_AreBothReported()
    {
        var errors = Errors(ExampleRequest.Replace("\"frequentist\"", "\"magic\"", StringComparison.Ordinal).Replace("\"alpha\": 0.05", "\"alpha\": 1.5", StringComparison.Ordinal));
        Assert.Contains("settings.statsEngine", errors.Keys);
        Assert.Contains("settings.alpha", errors.Keys);
    }

    [Fact]
    public void Srm_ValidRequest_ReturnsPValueAndStatus()
    {
        var result = StatisticsRequestHandler.Srm(new SrmRequest { Users = [1000, 1200], Weights = [0.5, 0.5] });
        Expect.Rounded(0.000020079, result.Value!.Srm, 9);
        Assert.Equal("unhealthy", result.Value.Status);
    }

    [Fact]
    public void Srm_BadRequest_NamesFields()
    {
        var result = StatisticsRequestHandler.Srm(new SrmRequest { Users = [100, -1], Weights = [0.7, 0.7] });
        Assert.Contains("users[1]", result.Errors.Keys);
        Assert.Contains("weights", result.Errors.Keys);
    }

    [Fact]
    public void Bandit_ValidRequest_ReturnsWeightsThatSumToOne()
    {
        const string json = """
            {"metric": {"statisticType": "mean", "mainMetricType": "binomial"},
             "variations": [{"users": 1000, "mainSum": 100}, {"users": 1000, "mainSum": 140}],
             "bandit": {"currentWeights": [0.5, 0.5], "seed": 3}}
            """;
        var result = StatisticsRequestHandler.Bandit(JsonSerializer.Deserialize<BanditRequest>(json, Web)!);
        Assert.True(result.IsValid);
        Assert.Equal(1, result.Value!.UpdatedWeights.Sum(), 9);
        Assert.True(result.Value.UpdatedWeights[1] > result.Value.UpdatedWeights[0]);
        Assert.True(result.Value.WeightsWereUpdated);
        Assert.Equal(2, result.Value.SingleVariationResults.Count);
    }

    [Fact]
    public void Bandit_CurrentWeightsOfWrongLength_NamesTheField()
    {
        var result = StatisticsRequestHandler.Bandit(new BanditRequest
        {
            Metric = new MetricSettings(),
            Variations = [new VariationRow { Users = 10, MainSum = 1, MainSumSquares = 1 }, new VariationRow { Users = 10, MainSum = 1, MainSumSquares = 1 }],
            Bandit = new BanditSettings { CurrentWeights = [1.0] },
        });
        Assert.Contains("bandit.currentWeights", result.Errors.Keys);
    }
}
