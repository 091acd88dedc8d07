using Microsoft.AspNetCore.Routing.Template;

namespace ActorService.Node.Http;

/// <summary>
/// Hides a route from the listener it is not declared on (<see cref="ListenerConventions"/>): the endpoint routing chose
/// is dropped, so the request ends exactly as one for an unknown path does (routing's bare 404, written as problem+json
/// by the status code pages), and a stranger on the public port cannot tell that <c>/admin/status</c> exists.
/// <para>
/// Closed by default: an endpoint that declares no listener answers on the management listener only, so a route
/// mapped without a thought is never public by accident. The one undeclared endpoint routing makes itself is the
/// 405 for a known path with another method; it gets the placement of the declared routes whose pattern matches the
/// path, so <c>POST /admin/status</c> on the public port is 404 (not 405), while a ledger path keeps its 405 there.
/// </para>
/// Runs right after the status code pages and before the intake gate, so a hidden route is never counted, refused
/// with <c>draining</c> or fenced: it is simply not there.
/// </summary>
internal sealed class ListenerRouting(RequestDelegate next, ListenerPorts ports, EndpointDataSource endpoints)
{
    private readonly Lazy<IReadOnlyList<(TemplateMatcher Matcher, ListenerPlacement Placement)>> _declared = new(() => Declared(endpoints));

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is { } endpoint && !PlacementOf(endpoint, context.Request.Path).Allows(ports.Of(context)))
            context.SetEndpoint(null); // not found, as any unknown route: nothing here says the route exists elsewhere
        return next(context);
    }

    private ListenerPlacement PlacementOf(Endpoint endpoint, PathString path)
    {
        if (endpoint.Metadata.GetMetadata<ListenerPlacement>() is { } declared) return declared;
        var listeners = _declared.Value
            .Where(d => d.Matcher.TryMatch(path, new RouteValueDictionary()))
            .Aggregate((Listener)0, (all, d) => all | d.Placement.Listeners);
        return new ListenerPlacement(listeners == 0 ? Listener.Management : listeners);
    }

    private static IReadOnlyList<(TemplateMatcher, ListenerPlacement)> Declared(EndpointDataSource endpoints) =>
        endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ListenerPlacement>() is not null && e.RoutePattern.RawText is not null)
            .Select(e => (new TemplateMatcher(TemplateParser.Parse(e.RoutePattern.RawText!), new RouteValueDictionary()), e.Metadata.GetMetadata<ListenerPlacement>()!))
            .ToList();
}
