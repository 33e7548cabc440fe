namespace Lodestar.Core.Segments;

/// <summary>What a <see cref="TechnologyCondition"/> tests; JSON names in <see cref="SegmentCriteriaParser"/>.</summary>
public enum TechnologyField
{
    /// <summary><c>os</c>: the operating system name (iOS, Android, Mac OS X, …).</summary>
    Os,

    /// <summary><c>appVersion</c>.</summary>
    AppVersion,

    /// <summary><c>deviceModel</c>.</summary>
    DeviceModel,

    /// <summary><c>locale</c>: the device's locale, else the profile's.</summary>
    Locale,

    /// <summary><c>timezone</c>: the device's IANA time zone, else the profile's.</summary>
    Timezone,

    /// <summary><c>country</c>: where the person was last seen.</summary>
    Country,
}
