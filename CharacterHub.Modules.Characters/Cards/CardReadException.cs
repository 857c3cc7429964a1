namespace CharacterHub.Modules.Characters.Cards;

/// <summary>Raised inside the codec for input it refuses; the public readers turn it into an error result, so it
/// never reaches a caller. Its message is written for the person who uploaded the file.</summary>
internal sealed class CardReadException(string message) : Exception(message);
