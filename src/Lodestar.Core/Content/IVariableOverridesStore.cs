namespace Lodestar.Core.Content;

/// <summary>
/// The server-side values of an app's variables (Leanplum's dashboard overrides): a partial tree laid over the code
/// defaults for everyone, and the control of every A/B test.
/// </summary>
public interface IVariableOverridesStore
{
    /// <summary>The overrides as JSON object text, or null when none were set.</summary>
    string? Find(string appId);

    void Save(string appId, string valuesJson, DateTimeOffset updatedAt);
}
