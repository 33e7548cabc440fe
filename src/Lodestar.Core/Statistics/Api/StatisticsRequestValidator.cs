namespace Lodestar.Core.Statistics.Api;

/// <summary>
/// Checks client requests and turns them into engine inputs. Every message names the JSON field path and
/// says what a valid value looks like. Degenerate-but-valid data (zero variance, a zero baseline) is not an
/// error here: the engine reports it per variation in <c>errorMessage</c>.
/// </summary>
public static class StatisticsRequestValidator
{
    /// <summary>How far from 1 a set of weights may sum (they usually arrive as rounded decimals).</summary>
    public const double WeightSumTolerance = 1e-6;

    public static Validated<AnalysisInput> Validate(AnalyzeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new ValidationErrors();
        var metric = ValidateMetric(request.Metric, errors);
        var settings = request.Settings ?? new AnalysisSettings();
        var rows = ValidateVariations(request.Variations, metric, settings.RegressionAdjusted, errors);
        var options = ValidateSettings(settings, request.Variations?.Count ?? 0, errors);
        return errors.Any || metric is null || rows is null || options is null
            ? Validated<AnalysisInput>.Failure(errors.ToDictionary())
            : Validated<AnalysisInput>.Success(new AnalysisInput(metric, options, rows));
    }

    public static Validated<BanditInput> Validate(BanditRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new ValidationErrors();
        var metric = ValidateMetric(request.Metric, errors);
        var settings = request.Settings ?? new AnalysisSettings();
        var rows = ValidateVariations(request.Variations, metric, settings.RegressionAdjusted, errors);
        if (!(settings.Alpha is > 0 and < 1))
        {
            errors.Add("settings.alpha", "alpha must be between 0 and 1 (exclusive), e.g. 0.05.");
        }

        var bandit = request.Bandit ?? new BanditSettings();
        var count = request.Variations?.Count ?? 0;
        var weights = bandit.CurrentWeights;
        if (weights is not null)
        {
            ValidateWeights(weights, count, "bandit.currentWeights", errors);
        }

        if (!double.IsFinite(bandit.MinVariationWeight) || bandit.MinVariationWeight >= 1)
        {
            errors.Add("bandit.minVariationWeight", "minVariationWeight must be a number below 1, e.g. 0.01.");
        }

        if (errors.Any || metric is null || rows is null)
        {
            return Validated<BanditInput>.Failure(errors.ToDictionary());
        }

        var options = new BanditOptions
        {
            Seed = bandit.Seed,
            TopTwo = bandit.TopTwo,
            MinVariationWeight = bandit.MinVariationWeight,
            Inverse = metric.Inverse,
            Alpha = settings.Alpha,
        };
        var current = weights ?? Enumerable.Repeat(1.0 / count, count).ToArray();
        return Validated<BanditInput>.Success(new BanditInput(metric, settings.RegressionAdjusted, rows, options, current, bandit.Reweight));
    }

    public static Validated<SrmInput> Validate(SrmRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new ValidationErrors();
        if (request.Users is null)
        {
            errors.Add("users", "users is required: one user count per variation.");
        }
        else
        {
            if (request.Users.Count < 2)
            {
                errors.Add("users", "At least two variations are needed for an SRM check.");
            }

            for (var i = 0; i < request.Users.Count; i++)
            {
                if (!double.IsFinite(request.Users[i]) || request.Users[i] < 0)
                {
                    errors.Add($"users[{i}]", "A user count must be a non-negative number.");
                }
            }
        }

        if (request.Weights is null)
        {
            errors.Add("weights", "weights is required: one planned traffic share per variation, summing to 1.");
        }
        else
        {
            ValidateWeights(request.Weights, request.Users?.Count ?? request.Weights.Count, "weights", errors);
        }

        return errors.Any
            ? Validated<SrmInput>.Failure(errors.ToDictionary())
            : Validated<SrmInput>.Success(new SrmInput(request.Users!, request.Weights!));
    }

    private static MetricDefinition? ValidateMetric(MetricSettings? metric, ValidationErrors errors)
    {
        if (metric is null)
        {
            errors.Add("metric", "metric is required, e.g. {\"statisticType\": \"mean\", \"mainMetricType\": \"count\"}.");
            return null;
        }

        MetricStatistic? statistic = metric.StatisticType switch
        {
            "mean" => MetricStatistic.Mean,
            "ratio" => MetricStatistic.Ratio,
            _ => null,
        };
        if (statistic is null)
        {
            errors.Add("metric.statisticType", "statisticType must be \"mean\" or \"ratio\".");
        }

        var main = ParseKind(metric.MainMetricType, "metric.mainMetricType", required: true, errors);
        var denominator = ParseKind(metric.DenominatorMetricType, "metric.denominatorMetricType", required: statistic == MetricStatistic.Ratio, errors);
        var covariate = ParseKind(metric.CovariateMetricType, "metric.covariateMetricType", required: false, errors);
        return statistic is null || main is null
            ? null
            : new MetricDefinition(statistic.Value, main.Value, denominator, metric.Inverse, covariate);
    }

    private static MetricKind? ParseKind(string? value, string path, bool required, ValidationErrors errors)
    {
        switch (value)
        {
            case "count":
                return MetricKind.Count;
            case "binomial":
                return MetricKind.Binomial;
            case null when !required:
                return null;
            case null:
                errors.Add(path, $"{path[(path.LastIndexOf('.') + 1)..]} is required: \"count\" or \"binomial\".");
                return null;
            default:
                errors.Add(path, $"{path[(path.LastIndexOf('.') + 1)..]} must be \"count\" or \"binomial\".");
                return null;
        }
    }

    private static AnalysisOptions? ValidateSettings(AnalysisSettings settings, int variations, ValidationErrors errors)
    {
        StatsEngine? engine = settings.StatsEngine switch
        {
            null or "bayesian" => StatsEngine.Bayesian,
            "frequentist" => StatsEngine.Frequentist,
            _ => null,
        };
        if (engine is null)
        {
            errors.Add("settings.statsEngine", "statsEngine must be \"bayesian\" or \"frequentist\".");
        }

        DifferenceType? differenceType = settings.DifferenceType switch
        {
            null or "relative" => DifferenceType.Relative,
            "absolute" => DifferenceType.Absolute,
            "scaled" => DifferenceType.Scaled,
            _ => null,
        };
        if (differenceType is null)
        {
            errors.Add("settings.differenceType", "differenceType must be \"relative\", \"absolute\" or \"scaled\".");
        }

        PValueCorrection? correction = settings.PValueCorrection switch
        {
            null => PValueCorrection.None,
            "holm-bonferroni" => PValueCorrection.HolmBonferroni,
            "benjamini-hochberg" => PValueCorrection.BenjaminiHochberg,
            _ => null,
        };
        if (correction is null)
        {
            errors.Add("settings.pValueCorrection", "pValueCorrection must be null, \"holm-bonferroni\" or \"benjamini-hochberg\".");
        }

        if (!(settings.Alpha is > 0 and < 1))
        {
            errors.Add("settings.alpha", "alpha must be between 0 and 1 (exclusive), e.g. 0.05.");
        }

        if (!(settings.SequentialTuningParameter > 0) || !double.IsFinite(settings.SequentialTuningParameter))
        {
            errors.Add("settings.sequentialTuningParameter", "sequentialTuningParameter must be a positive number of units, e.g. 5000.");
        }

        if (settings.PriorProper && (!(settings.PriorStddev > 0) || !double.IsFinite(settings.PriorStddev)))
        {
            errors.Add("settings.priorStddev", "priorStddev must be positive when priorProper is true, e.g. 0.3.");
        }

        if (!double.IsFinite(settings.PriorMean))
        {
            errors.Add("settings.priorMean", "priorMean must be a finite number.");
        }

        if (!(settings.TrafficPercentage is > 0 and <= 1))
        {
            errors.Add("settings.trafficPercentage", "trafficPercentage must be in (0, 1], the share of traffic in the experiment.");
        }

        if (!(settings.PhaseLengthDays > 0) || !double.IsFinite(settings.PhaseLengthDays))
        {
            errors.Add("settings.phaseLengthDays", "phaseLengthDays must be a positive number of days.");
        }

        if (settings.Weights is not null)
        {
            ValidateWeights(settings.Weights, variations, "settings.weights", errors);
        }

        if (engine is null || differenceType is null || correction is null)
        {
            return null;
        }

        return new AnalysisOptions
        {
            Engine = engine.Value,
            DifferenceType = differenceType.Value,
            Alpha = settings.Alpha,
            SequentialTesting = settings.SequentialTestingEnabled,
            SequentialTuningParameter = settings.SequentialTuningParameter,
            OneSidedIntervals = settings.OneSidedIntervals,
            Prior = GaussianPrior.FromStdDev(settings.PriorMean, settings.PriorStddev, settings.PriorProper),
            RegressionAdjusted = settings.RegressionAdjusted,
            Weights = settings.Weights,
            TrafficPercentage = settings.TrafficPercentage,
            PhaseLengthDays = settings.PhaseLengthDays,
            PValueCorrection = correction.Value,
        };
    }

    private static void ValidateWeights(IReadOnlyList<double> weights, int variations, string path, ValidationErrors errors)
    {
        if (weights.Count != variations)
        {
            errors.Add(path, $"Expected {variations} weights, one per variation, but got {weights.Count}.");
        }

        var allValid = true;
        for (var i = 0; i < weights.Count; i++)
        {
            if (!double.IsFinite(weights[i]) || weights[i] < 0 || weights[i] > 1)
            {
                errors.Add($"{path}[{i}]", "A weight must be a number between 0 and 1.");
                allValid = false;
            }
        }

        var sum = weights.Sum();
        if (allValid && Math.Abs(sum - 1) > WeightSumTolerance)
        {
            errors.Add(path, $"Weights must sum to 1, but they sum to {sum}.");
        }
    }

    private static List<VariationAggregate>? ValidateVariations(
        IReadOnlyList<VariationRow?>? variations, MetricDefinition? metric, bool regressionAdjusted, ValidationErrors errors)
    {
        if (variations is null)
        {
            errors.Add("variations", "variations is required: one aggregate row per variation, the baseline first.");
            return null;
        }

        if (variations.Count < 2)
        {
            errors.Add("variations", $"At least two variations are needed (a baseline and a treatment), but got {variations.Count}.");
        }

        var rows = new List<VariationAggregate>(variations.Count);
        for (var i = 0; i < variations.Count; i++)
        {
            var row = variations[i];
            var path = $"variations[{i}]";
            if (row is null)
            {
                errors.Add(path, "A variation row must be an object.");
                continue;
            }

            rows.Add(ValidateRow(row, path, metric, regressionAdjusted, errors));
        }

        return rows;
    }

    private static VariationAggregate ValidateRow(VariationRow row, string path, MetricDefinition? metric, bool regressionAdjusted, ValidationErrors errors)
    {
        var check = new RowFieldCheck(path, errors);
        var users = check.Count(row.Users, "users", required: true);
        var count = check.Count(row.Count, "count", required: false);
        var ratio = metric?.Statistic == MetricStatistic.Ratio;
        var mainIsCount = metric?.Main != MetricKind.Binomial;
        var denominatorIsCount = metric?.Denominator != MetricKind.Binomial;
        var covariateIsCount = metric is null || metric.CovariateKind != MetricKind.Binomial;
        const string ForRatio = "ratio metrics";
        const string ForCuped = "regression adjustment (CUPED)";
        const string ForRatioCuped = "regression adjustment (CUPED) of ratio metrics";

        return new VariationAggregate
        {
            Users = users,
            Count = row.Count is null ? users : count,
            MainSum = check.Number(row.MainSum, "mainSum", "every metric"),
            MainSumSquares = check.SumOfSquares(row.MainSumSquares, "mainSumSquares", mainIsCount ? "count metrics" : null),
            DenominatorSum = check.Number(row.DenominatorSum, "denominatorSum", ratio ? ForRatio : null),
            DenominatorSumSquares = check.SumOfSquares(row.DenominatorSumSquares, "denominatorSumSquares", ratio && denominatorIsCount ? ForRatio : null),
            MainDenominatorSumProduct = check.Number(row.MainDenominatorSumProduct, "mainDenominatorSumProduct", ratio ? ForRatio : null),
            CovariateSum = check.Number(row.CovariateSum, "covariateSum", regressionAdjusted ? ForCuped : null),
            CovariateSumSquares = check.SumOfSquares(row.CovariateSumSquares, "covariateSumSquares",
                regressionAdjusted && (ratio ? mainIsCount : covariateIsCount) ? ForCuped : null),
            MainCovariateSumProduct = check.Number(row.MainCovariateSumProduct, "mainCovariateSumProduct", regressionAdjusted ? ForCuped : null),
            DenominatorPreSum = check.Number(row.DenominatorPreSum, "denominatorPreSum", ratio && regressionAdjusted ? ForRatioCuped : null),
            DenominatorPreSumSquares = check.SumOfSquares(row.DenominatorPreSumSquares, "denominatorPreSumSquares",
                ratio && regressionAdjusted && denominatorIsCount ? ForRatioCuped : null),
            MainPostDenominatorPreSumProduct = check.Number(row.MainPostDenominatorPreSumProduct, "mainPostDenominatorPreSumProduct", ratio && regressionAdjusted ? ForRatioCuped : null),
            MainPreDenominatorPostSumProduct = check.Number(row.MainPreDenominatorPostSumProduct, "mainPreDenominatorPostSumProduct", ratio && regressionAdjusted ? ForRatioCuped : null),
            MainPreDenominatorPreSumProduct = check.Number(row.MainPreDenominatorPreSumProduct, "mainPreDenominatorPreSumProduct", ratio && regressionAdjusted ? ForRatioCuped : null),
            DenominatorPostDenominatorPreSumProduct = check.Number(row.DenominatorPostDenominatorPreSumProduct, "denominatorPostDenominatorPreSumProduct", ratio && regressionAdjusted ? ForRatioCuped : null),
            Theta = row.Theta is { } theta && double.IsFinite(theta) ? theta : null,
        };
    }

    /// <summary>Field checks for one row, reporting under <c>variations[i].field</c>.</summary>
    private readonly struct RowFieldCheck(string path, ValidationErrors errors)
    {
        public double Count(double? value, string field, bool required)
        {
            if (value is null)
            {
                if (required)
                {
                    errors.Add($"{path}.{field}", $"{field} is required.");
                }

                return 0;
            }

            if (!double.IsFinite(value.Value) || value.Value < 0)
            {
                errors.Add($"{path}.{field}", $"{field} must be a non-negative number, got {value.Value}.");
                return 0;
            }

            return value.Value;
        }

        /// <param name="requiredFor">Why the field is needed, or null when it is optional.</param>
        public double Number(double? value, string field, string? requiredFor)
        {
            if (value is null)
            {
                if (requiredFor is not null)
                {
                    errors.Add($"{path}.{field}", $"{field} is required for {requiredFor}.");
                }

                return 0;
            }

            if (!double.IsFinite(value.Value))
            {
                errors.Add($"{path}.{field}", $"{field} must be a finite number.");
                return 0;
            }

            return value.Value;
        }

        public double SumOfSquares(double? value, string field, string? requiredFor)
        {
            var number = Number(value, field, requiredFor);
            if (number < 0)
            {
                errors.Add($"{path}.{field}", $"{field} is a sum of squares and cannot be negative, got {number}.");
            }

            return number;
        }
    }
}
