namespace Lodestar.Core.Content;

/// <summary>The variables and message templates an app declared in code, as the SDK uploaded them in development mode.</summary>
public sealed record VariableDefaults(string AppId, string? VarsJson, string? ActionDefinitionsJson, DateTimeOffset UpdatedAt);

/// <summary>Where <c>setVars</c> uploads are kept (transactional state store).</summary>
public interface IVariableDefaultsStore
{
    VariableDefaults? Find(string appId);

    /// <summary>Replaces the parts given (null leaves a part as it is).</summary>
    void Save(string appId, string? varsJson, string? actionDefinitionsJson, DateTimeOffset updatedAt);
}
