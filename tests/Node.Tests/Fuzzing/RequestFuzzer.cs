using System.Text;

namespace ActorService.Node.Tests.Fuzzing;

/// <summary>One fuzzed request: for HttpClient (method, path, headers, body) or as raw bytes for a TCP socket.</summary>
internal sealed record FuzzRequest(string Kind, string Method, string Path, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body, byte[]? Raw)
{
    public override string ToString()
    {
        static string Show(byte[] b) => Encoding.Latin1.GetString(b, 0, Math.Min(b.Length, 160)).ReplaceLineEndings("\\n") + (b.Length > 160 ? $"…({b.Length} B)" : "");
        return Raw is not null
            ? $"{Kind}: raw {Show(Raw)}"
            : $"{Kind}: {Method} /{Path} [{string.Join("; ", Headers.Select(h => $"{h.Name}: {h.Value}"))}] body {Show(Body)}";
    }
}

/// <summary>
/// Deterministic request generator: the same seed gives the same requests. Valid-looking writes only ever name
/// accounts from <see cref="FuzzIds"/> (or random junk), never the accounts a test seeded, so any change to a
/// seeded balance is a bug, not a fuzzer's legitimate write.
/// </summary>
internal sealed class RequestFuzzer(int seed)
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO", "post", "G\u00c9T"];
    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "text/plain",
        "application/problem+json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/json-patch+json", "application/", "*/*", ";;;", "application/json; charset=\"", "",
    ];
    private static readonly string[] Paths =
    [
        "accounts/{id}/deposit", "accounts/{id}/withdraw", "accounts/{id}", "admin/status", "admin/drain", "health/ready",
        "health/live", "metrics", "", "accounts", "accounts/{id}/deposit/extra", "accounts/{id}/../{id}/deposit",
        "accounts/%00/deposit", "accounts/{id}%2Fdeposit", "accounts/{id}/deposit?amount=5", "//accounts/{id}/deposit",
        "accounts/{id}/DEPOSIT", "accounts/\u00e9t\u00e9/deposit", "accounts/{id}/deposit#frag",
    ];
    private static readonly string[] Numbers =
    [
        "1", "0", "-1", "1000000000", "1000000001", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "1e3", "1E+2", "0.5", "1.0", "-0", "00012", "0x10", "NaN", "Infinity", "1_000", "٣", "1" + new string('0', 400), "\"5\"", "null", "true", "[]", "{}",
    ];

    private readonly Random _random = new(seed);

    public static readonly IReadOnlyList<string> FuzzIds = Enumerable.Range(0, 40).Select(i => $"fz-{i}").ToList();

    /// <summary>A request for HttpClient: mostly mutations of a valid write, some entirely random.</summary>
    public FuzzRequest NextHttp() => _random.Next(7) < 5 ? MutatedWrite() : RandomRequest();

    /// <summary>Bytes for a raw socket: garbage, truncated or corrupted requests, broken framing, protocol oddities.</summary>
    public FuzzRequest NextRaw() => RawRequest();

    private FuzzRequest MutatedWrite()
    {
        var id = Pick(FuzzIds);
        var method = "POST";
        var path = $"accounts/{id}/{(_random.Next(2) == 0 ? "deposit" : "withdraw")}";
        var headers = new List<(string, string)> { ("Content-Type", "application/json") };
        if (_random.Next(2) == 0) headers.Add(("Idempotency-Key", $"fk-{_random.Next(200)}"));
        var body = Encoding.UTF8.GetBytes($"{{\"amount\": {_random.Next(1, 1000)}}}");
        for (var m = _random.Next(1, 4); m > 0; m--)
        {
            switch (_random.Next(12))
            {
                case 0: method = Pick(Methods); break;
                case 1: path = Pick(Paths).Replace("{id}", Pick([id, RandomText(_random.Next(0, 80)), new string('a', 65)])); break;
                case 2: headers[0] = ("Content-Type", Pick(ContentTypes)); break;
                case 3: headers.Add(("Idempotency-Key", RandomText(_random.Next(0, 200), asciiOnly: true))); break;
                case 4: headers.Add((RandomToken(), RandomText(_random.Next(0, 100), asciiOnly: true))); break;
                case 5: body = Encoding.UTF8.GetBytes($"{{\"amount\": {Pick(Numbers)}}}"); break;
                case 6: body = Encoding.UTF8.GetBytes(Pick(JsonShapes())); break;
                default: body = MutateBytes(body); break;
            }
        }
        return new FuzzRequest("mutated-write", method, path, headers, body, null);
    }

    private FuzzRequest RandomRequest()
    {
        var path = string.Join('/', Enumerable.Range(0, _random.Next(1, 5)).Select(_ => _random.Next(3) == 0 ? Pick(Paths).Replace("{id}", "x") : RandomText(_random.Next(1, 20))));
        var headers = Enumerable.Range(0, _random.Next(0, 6)).Select(_ => (RandomToken(), RandomText(_random.Next(0, 60), asciiOnly: true))).ToList();
        if (_random.Next(2) == 0) headers.Add(("Content-Type", Pick(ContentTypes)));
        return new FuzzRequest("random", Pick(Methods), path, headers, RandomBytes(_random.Next(0, 600)), null);
    }

    private FuzzRequest RawRequest()
    {
        var id = Pick(FuzzIds);
        var json = $"{{\"amount\": {_random.Next(1, 1000)}}}";
        var valid = $"POST /accounts/{id}/deposit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n{json}";
        var raw = _random.Next(9) switch
        {
            0 => RandomBytes(_random.Next(1, 2000)),
            1 => Encoding.Latin1.GetBytes(valid[.._random.Next(1, valid.Length)]),        // truncated anywhere
            2 => MutateBytes(Encoding.Latin1.GetBytes(valid)),                              // a few bytes flipped, inserted, cut
            3 => Encoding.Latin1.GetBytes(valid.Replace($"Content-Length: {json.Length}", $"Content-Length: {Pick(["-1", "999999999999", "abc", "5, 6", "40", ""])}")),
            4 => Encoding.Latin1.GetBytes($"POST /accounts/{id}/deposit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{Pick(["zz\r\n{}\r\n0\r\n\r\n", "5\r\n{\"amo\r\n", "FFFFFFFFFFFF\r\n", "3\r\n{}}\r\n0\r\n", "0\r\n\r\n"])}"),
            5 => Encoding.Latin1.GetBytes($"POST /accounts/{id}/deposit HTTP/1.1\r\nHost: x\r\nContent-Length: {json.Length}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n{json}"),
            6 => Encoding.Latin1.GetBytes(Pick([
                "GET /" + new string('a', 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('b', 40_000) + "\r\n\r\n",
                "GET /health/live HTTP/1.1\r\nHost: x\r\n" + string.Concat(Enumerable.Range(0, 120).Select(i => $"X-H{i}: v\r\n")) + "\r\n",
                "GET /health/live HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
                "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n",
                "GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /\r\n\r\n",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                "CONNECT localhost:22 HTTP/1.1\r\nHost: localhost:22\r\n\r\n",
                "GET http://evil.example/accounts/fz-1 HTTP/1.1\r\nHost: evil.example\r\n\r\n",
                "GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n",
                "GET /health/live HTTP/1.1\r\n\r\n",
                "GET /health/live HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003",
            ])),
            7 => Encoding.Latin1.GetBytes(valid + valid + valid[.._random.Next(1, valid.Length)]), // pipelined, last one cut
            _ => Encoding.UTF8.GetBytes(valid.Replace("Host: localhost", $"Host: localhost\r\n{Pick(["Idempotency-Key", "Content-Type", RandomToken()])}: {RandomText(_random.Next(0, 50))}")),
        };
        return new FuzzRequest("raw", "", "", [], [], raw);
    }

    private string[] JsonShapes() =>
    [
        "", "{", "}", "{}", "[]", "null", "{\"amount\":}", "{\"amount\" 5}", "{amount: 5}", "{\"amount\":5,\"amount\":5}",
        "{\"amount\":5,\"x\":1}", "{\"amount\":{\"amount\":5}}", new string('[', 3000), new string('{', 3000),
        string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200), "{\"amount\":5}  \u0000",
        "\ufeff{\"amount\":5}", "{\"amount\":5}{\"amount\":5}", "{\"am\\u006fount\":5}", "{\"amount\":\"\\ud800\"}",
        "{\"" + new string('k', 5000) + "\":1}",
    ];

    private byte[] MutateBytes(byte[] input)
    {
        var bytes = new List<byte>(input);
        for (var n = _random.Next(1, 6); n > 0; n--)
        {
            var at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(4))
            {
                case 0 when bytes.Count > 0: bytes[at] = (byte)_random.Next(256); break;
                case 1: bytes.Insert(at, (byte)_random.Next(256)); break;
                case 2 when bytes.Count > 0: bytes.RemoveRange(at, _random.Next(1, bytes.Count - at + 1)); break;
                default: bytes.InsertRange(at, RandomBytes(_random.Next(1, 30))); break;
            }
        }
        return bytes.ToArray();
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Printable ASCII with some non-ASCII mixed in (paths get it percent-encoded; HttpClient refuses it in headers).</summary>
    private string RandomText(int length, bool asciiOnly = false) =>
        new(Enumerable.Range(0, length).Select(_ => !asciiOnly && _random.Next(20) == 0 ? (char)_random.Next(0xa0, 0x2000) : (char)_random.Next(0x20, 0x7f)).ToArray());

    private string RandomToken() => "X-" + new string(Enumerable.Range(0, _random.Next(1, 20)).Select(_ => "abcdefghijklmnopqrstuvwxyz0123456789-_!#$%&'*+.^`|~"[_random.Next(51)]).ToArray());

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
