namespace ActorService.Actors.Wire;

/// <summary>
/// Thrown by a wire mapping when a payload parsed but breaks its message's rules (an empty account id, an enum value
/// this release does not know). <see cref="ProtobufWireSerializer"/> turns it into a refused, counted message.
/// </summary>
public sealed class MalformedWireMessageException(string message) : Exception(message)
{
    /// <summary>Throws unless <paramref name="condition"/> holds.</summary>
    public static void Require(bool condition, string rule)
    {
        if (!condition) throw new MalformedWireMessageException(rule);
    }

    /// <summary>The value of a field that must not be empty.</summary>
    public static string NotEmpty(string value, string field)
    {
        Require(value.Length > 0, $"{field} is empty");
        return value;
    }
}
