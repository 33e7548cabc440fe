namespace Lodestar.Core.Statistics.Api;

/// <summary>
/// Validates a statistics request, runs the engine and shapes the public response. Non-finite numbers become
/// null so the JSON never carries NaN or Infinity.
/// </summary>
public static class StatisticsRequestHandler
{
    public static Validated<AnalyzeResponse> Analyze(AnalyzeRequest request)
    {
        var validated = StatisticsRequestValidator.Validate(request);
        if (validated.Value is not { } input)
        {
            return Validated<AnalyzeResponse>.Failure(validated.Errors);
        }

        var analysis = ExperimentAnalyzer.Analyze(input.Metric, input.Options, input.Variations);
        var variations = analysis.Variations.Select(ToResponse).ToList();
        return Validated<AnalyzeResponse>.Success(new AnalyzeResponse(analysis.Srm, ToStatus(analysis.SrmHealth), variations));
    }

    public static Validated<BanditResponse> Bandit(BanditRequest request)
    {
        var validated = StatisticsRequestValidator.Validate(request);
        if (validated.Value is not { } input)
        {
            return Validated<BanditResponse>.Failure(validated.Errors);
        }

        var statistics = input.Variations
            .Select(v => ArmStatisticFactory.Create(v, input.Metric, input.RegressionAdjusted && input.Metric.Statistic == MetricStatistic.Mean, keepTheta: true))
            .ToList();
        var result = ThompsonSamplingBandit.Run(BanditArm.FromStatistics(statistics), input.Options);
        var updated = result.Weights is { } weights && input.Reweight ? weights : input.CurrentWeights;
        var response = new BanditResponse
        {
            CurrentWeights = input.CurrentWeights,
            UpdatedWeights = updated,
            BestArmProbabilities = result.EnoughUnits ? result.BestArmProbabilities : null,
            Seed = result.Seed,
            UpdateMessage = result.UpdateMessage,
            Reweight = input.Reweight,
            WeightsWereUpdated = result.Weights is not null && input.Reweight && !updated.SequenceEqual(input.CurrentWeights),
            Srm = SampleRatioMismatch.PValue(input.Variations.Select(v => v.Users).ToArray(), input.CurrentWeights),
            SingleVariationResults = result.Arms
                .Select(a => new BanditVariationResponse(a.Users, Finite(a.PosteriorMean), [Finite(a.CiLower), Finite(a.CiUpper)]))
                .ToList(),
        };
        return Validated<BanditResponse>.Success(response);
    }

    public static Validated<SrmResponse> Srm(SrmRequest request)
    {
        var validated = StatisticsRequestValidator.Validate(request);
        if (validated.Value is not { } input)
        {
            return Validated<SrmResponse>.Failure(validated.Errors);
        }

        var p = SampleRatioMismatch.PValue(input.Users, input.Weights);
        var health = SampleRatioMismatch.Health(p, input.Users.Sum(), input.Users.Count);
        return Validated<SrmResponse>.Success(new SrmResponse(p, ToStatus(health)));
    }

    private static VariationResponse ToResponse(VariationAnalysis v)
    {
        var response = new VariationResponse
        {
            Users = v.Users,
            Cr = Finite(v.Cr),
            Value = Finite(v.Value),
            Denominator = Finite(v.Denominator),
            Stats = new MetricStatsResponse(v.Stats.Users, v.Stats.Count, Finite(v.Stats.StdDev), Finite(v.Stats.Mean)),
            PValueAdjusted = v.PValueAdjusted is { } adjusted ? Finite(adjusted) : null,
            CiAdjusted = v.CiAdjusted is { } ci ? [Finite(ci.Lower), Finite(ci.Upper)] : null,
        };

        if (v.Frequentist is { } f)
        {
            return response with
            {
                Expected = Finite(f.Expected),
                Ci = [Finite(f.CiLower), Finite(f.CiUpper)],
                PValue = f.PValue is { } p ? Finite(p) : null,
                PValueErrorMessage = f.PValueErrorMessage,
                Uplift = new UpliftResponse("normal", Finite(f.UpliftMean), Finite(f.UpliftStdDev)),
                ErrorMessage = f.ErrorMessage,
            };
        }

        if (v.Bayesian is { } b)
        {
            return response with
            {
                Expected = Finite(b.Expected),
                Ci = [Finite(b.CiLower), Finite(b.CiUpper)],
                ChanceToWin = Finite(b.ChanceToWin),
                Risk = [Finite(b.RiskControl), Finite(b.RiskTreatment)],
                RiskType = b.RiskType,
                Uplift = new UpliftResponse("normal", Finite(b.UpliftMean), Finite(b.UpliftStdDev)),
                ErrorMessage = b.ErrorMessage,
            };
        }

        return response;
    }

    private static string ToStatus(SrmHealth health) => health switch
    {
        SrmHealth.Unhealthy => "unhealthy",
        SrmHealth.NotEnoughTraffic => "not-enough-traffic",
        _ => "healthy",
    };

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
