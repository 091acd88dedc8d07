namespace ActorService.Node.Http;

/// <summary>
/// The node's two HTTP listeners. <see cref="Public"/> is the port the load balancer sends clients to
/// (<c>--http-port</c>); <see cref="Management"/> is the port for the cluster's own machinery and its operators
/// (<c>--management-port</c>, on the cluster host address): probes, admin, metrics, Akka.Management bootstrap.
/// </summary>
[Flags]
internal enum Listener
{
    Public = 1,
    Management = 2,
    Both = Public | Management,
}

/// <summary>Endpoint metadata: the listeners a route answers on (<see cref="ListenerRouting"/>).</summary>
internal sealed record ListenerPlacement(Listener Listeners)
{
    public bool Allows(Listener listener) => (Listeners & listener) != 0;
}

/// <summary>The conventions route groups declare their listener with, next to where they are mapped.</summary>
internal static class ListenerConventions
{
    /// <summary>The ledger API and its OpenAPI document: what clients behind the load balancer use.</summary>
    public static TBuilder OnPublicListener<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ListenerPlacement(Listener.Public));

    /// <summary>Admin, metrics, test hooks, bootstrap: never reachable from the public port.</summary>
    public static TBuilder OnManagementListener<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ListenerPlacement(Listener.Management));

    /// <summary>The probes: management for the kubelet and the load balancer's check, public kept for compatibility.</summary>
    public static TBuilder OnBothListeners<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ListenerPlacement(Listener.Both));
}

/// <summary>The two ports, as bound: a request's listener is told by the port its connection arrived on.</summary>
internal sealed record ListenerPorts(int Public, int Management)
{
    /// <summary>
    /// The connection's local port decides, never the Host header: a client chooses its Host header freely, but not the
    /// socket the kernel delivered its connection to.
    /// </summary>
    public Listener Of(HttpContext context) =>
        context.Connection.LocalPort == Management ? Listener.Management : Listener.Public;
}
