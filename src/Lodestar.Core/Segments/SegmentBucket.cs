using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lodestar.Core.Segments;

/// <summary>
/// A person's stable random bucket in [0, 1): the first 4 bytes of MD5(UTF-8 canonical person id), read big-endian
/// as an unsigned 32-bit number, over 2^32. In DuckDB SQL the same number is
/// <c>CAST(('0x' || substr(md5(person_id), 1, 8)) AS UBIGINT) / 4294967296.0</c> (md5 gives lowercase hex), so the
/// batch and the in-memory evaluation put everyone in the same bucket. Every value is exact in a double.
/// </summary>
public static class SegmentBucket
{
    public static double Of(string personId)
    {
        ArgumentNullException.ThrowIfNull(personId);
        Span<byte> hash = stackalloc byte[16];
#pragma warning disable CA5351 // A bucketing hash, not security: MD5 is what DuckDB offers in SQL.
        MD5.HashData(Encoding.UTF8.GetBytes(personId), hash);
#pragma warning restore CA5351
        return BinaryPrimitives.ReadUInt32BigEndian(hash) / 4294967296.0;
    }
}
