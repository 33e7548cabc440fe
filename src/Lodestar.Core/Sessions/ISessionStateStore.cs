namespace Lodestar.Core.Sessions;

/// <summary>Per-device session state (transactional state store), keyed by app and device id.</summary>
public interface ISessionStateStore
{
    SessionState? Find(string appId, string deviceId);

    void Save(IReadOnlyCollection<(string AppId, string DeviceId, SessionState State)> states);

    void Delete(string appId, IReadOnlyCollection<string> deviceIds);
}
