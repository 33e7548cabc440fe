namespace Lodestar.Core.Content;

/// <summary>The seam between the SDK protocol and campaigns/A/B tests: what content a person gets.</summary>
public interface IPersonContentSource
{
    ValueTask<PersonContent> ContentForAsync(PersonContentRequest request, CancellationToken cancellationToken = default);
}

/// <summary>Who asks for content, as the SDK call identified them.</summary>
/// <param name="PersonId">The person the ids resolve to, or null for a device not seen yet.</param>
/// <param name="Action">The Leanplum action asking (<c>start</c>, <c>getVars</c>, <c>getNewsfeedMessages</c>).</param>
public sealed record PersonContentRequest(string AppId, string? PersonId, string? UserId, string DeviceId, string Action, DateTimeOffset Now)
{
    /// <summary>The inbox message ids the device holds (<c>start</c>'s <c>newsfeedMessages</c>), or null when it did not say.</summary>
    public IReadOnlyList<string>? HeldInboxIds { get; init; }
}

/// <summary>
/// One kind of content (variables and A/B variants, in-app messages, the inbox) fills its part of what a person
/// gets. Parts run in registration order, each adding to the JSON objects of <see cref="PersonContent"/>.
/// </summary>
public interface IPersonContentPart
{
    ValueTask ContributeAsync(PersonContentRequest request, PersonContent content, CancellationToken cancellationToken);
}

/// <summary>Asks every registered part; with none, everyone gets the code defaults and no messages.</summary>
public sealed class ComposedPersonContentSource(IEnumerable<IPersonContentPart> parts) : IPersonContentSource
{
    private readonly IPersonContentPart[] _parts = [.. parts];

    public async ValueTask<PersonContent> ContentForAsync(PersonContentRequest request, CancellationToken cancellationToken = default)
    {
        var content = new PersonContent();
        foreach (var part in _parts) await part.ContributeAsync(request, content, cancellationToken).ConfigureAwait(false);
        return content;
    }
}
