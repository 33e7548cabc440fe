namespace Lodestar.Core.Segments;

/// <summary>The technology and place of a person: their most recently seen device, and where they were last seen.</summary>
public sealed record PersonTechnology(
    string? Os = null, string? AppVersion = null, string? DeviceModel = null, string? Locale = null, string? Timezone = null, string? Country = null)
{
    public string? Get(TechnologyField field) => field switch
    {
        TechnologyField.Os => Os,
        TechnologyField.AppVersion => AppVersion,
        TechnologyField.DeviceModel => DeviceModel,
        TechnologyField.Locale => Locale,
        TechnologyField.Timezone => Timezone,
        TechnologyField.Country => Country,
        _ => null,
    };
}
