using Lodestar.Server.Hosting;

namespace Lodestar.Server.Http;

/// <summary>Guards the management API: <c>Authorization: Bearer &lt;admin token&gt;</c>.</summary>
public sealed class AdminAuthorization(AdminToken token) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        string? header = context.HttpContext.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return ValueTask.FromResult<object?>(Problems.Unauthorized("Send the admin token as 'Authorization: Bearer <token>'."));
        if (!token.Matches(header["Bearer ".Length..].Trim()))
            return ValueTask.FromResult<object?>(Problems.Unauthorized("The admin token is not valid."));
        return next(context);
    }
}
