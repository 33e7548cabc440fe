namespace Lodestar.Core.Statistics.Api;

/// <summary>
/// Either a value or the client's mistakes, keyed by JSON field path (<c>variations[1].users</c>), ready for
/// the HTTP layer to turn into a 400 ValidationProblem.
/// </summary>
public sealed class Validated<T>
    where T : class
{
    private Validated(T? value, IReadOnlyDictionary<string, string[]> errors)
    {
        Value = value;
        Errors = errors;
    }

    public T? Value { get; }

    public IReadOnlyDictionary<string, string[]> Errors { get; }

    public bool IsValid => Value is not null;

    public static Validated<T> Success(T value) => new(value, new Dictionary<string, string[]>());

    public static Validated<T> Failure(IReadOnlyDictionary<string, string[]> errors) => new(null, errors);
}
