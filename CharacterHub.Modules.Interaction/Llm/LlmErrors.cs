using System.ClientModel;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;

namespace CharacterHub.Modules.Interaction.Llm;

/// <summary>Turns whatever the SDK and the HTTP stack throw into an <see cref="LlmError"/> a user can act on.</summary>
internal static class LlmErrors
{
    public static LlmError Classify(Exception exception, string endpoint, bool responseStarted)
    {
        if (Find<EndpointRefusedException>(exception) is { } refused)
        {
            return new LlmError(LlmErrorKind.EndpointRefused, refused.Message);
        }
        if (exception is ClientResultException { Status: > 0 } http)
        {
            return Upstream(http.Status, http.GetRawResponse()?.Content, http.Message, endpoint);
        }
        if (Find<JsonException>(exception) is { } json)
        {
            return new LlmError(LlmErrorKind.MalformedResponse, $"{endpoint} sent a response that is not valid JSON: {json.Message}");
        }
        if (Find<HttpRequestException>(exception) is { } request)
        {
            switch (request.HttpRequestError)
            {
                case HttpRequestError.NameResolutionError:
                    return new LlmError(LlmErrorKind.Unreachable, $"Could not resolve the host of {endpoint}; check the base URL.");
                case HttpRequestError.ConnectionError:
                    return new LlmError(LlmErrorKind.Unreachable,
                        $"Could not connect to {endpoint} ({Innermost(request).Message}); is the server running and reachable?");
                case HttpRequestError.SecureConnectionError:
                    return new LlmError(LlmErrorKind.Unreachable, $"TLS handshake with {endpoint} failed: {Innermost(request).Message}");
                case HttpRequestError.InvalidResponse:
                    return new LlmError(LlmErrorKind.MalformedResponse, $"{endpoint} did not answer with valid HTTP: {request.Message}");
                case HttpRequestError.ResponseEnded:
                    return new LlmError(LlmErrorKind.ConnectionLost, $"{endpoint} closed the connection before the reply was complete.");
            }
        }
        if (Find<SocketException>(exception) is { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound
                or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TryAgain } unreachable)
        {
            return new LlmError(LlmErrorKind.Unreachable, $"Could not connect to {endpoint} ({unreachable.Message}); is the server running and reachable?");
        }
        if (Find<IOException>(exception) is not null || Find<SocketException>(exception) is not null)
        {
            // A reset on an open connection: the request went out, so the server was reachable.
            return new LlmError(LlmErrorKind.ConnectionLost,
                $"The connection to {endpoint} broke {(responseStarted ? "before the reply was complete" : "before a reply arrived")} ({Innermost(exception).Message}).");
        }
        if (exception is ClientResultException)
        {
            return new LlmError(LlmErrorKind.Unreachable, $"Request to {endpoint} failed: {Innermost(exception).Message}");
        }
        return new LlmError(LlmErrorKind.MalformedResponse, $"Unexpected answer from {endpoint}: {exception.Message}");
    }

    public static LlmError Upstream(int status, BinaryData? body, string fallback, string endpoint)
    {
        var detail = ErrorMessageFromBody(body) ?? fallback;
        var hint = status switch
        {
            401 => "The server rejected the API key. ",
            403 => "The API key may not use this model or endpoint. ",
            404 => "Not found: check the base URL and the model name. ",
            429 => "Rate limited or out of quota; try again later. ",
            >= 300 and < 400 => "The endpoint redirected somewhere that could not be followed. ",
            >= 500 => "The model server failed. ",
            _ => "",
        };
        return new LlmError(LlmErrorKind.UpstreamError, $"{hint}{endpoint} answered {status}: {detail}", status);
    }

    /// <summary>OpenAI's <c>{"error":{"message":..}}</c>, Ollama's <c>{"error":".."}</c>, or a short plain-text body.</summary>
    private static string? ErrorMessageFromBody(BinaryData? body)
    {
        if (body is null || body.ToMemory().IsEmpty) return null;
        try
        {
            using var doc = JsonDocument.Parse(body.ToMemory());
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == JsonValueKind.String) return error.GetString();
                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m)
                        && m.ValueKind == JsonValueKind.String)
                    {
                        return m.GetString();
                    }
                }
                if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                {
                    return message.GetString();
                }
            }
        }
        catch (JsonException)
        {
        }
        var text = body.ToString().Trim();
        return text.Length == 0 ? null : text.Length > 300 ? text[..300] + "…" : text;
    }

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T match) return match;
        }
        return null;
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
