using System.Buffers.Binary;

namespace CharacterHub.FakeLlm;

/// <summary>Small but well-formed audio payloads, so players and format sniffers accept what the fake server returns.</summary>
public static class FakeAudio
{
    public const int SampleRate = 24_000;

    /// <summary>16-bit little-endian mono PCM: a quiet 440 Hz tone.</summary>
    public static byte[] Pcm(double seconds)
    {
        var samples = (int)(SampleRate * seconds);
        var bytes = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            var value = (short)(Math.Sin(2 * Math.PI * 440 * i / SampleRate) * 3000);
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), value);
        }
        return bytes;
    }

    /// <summary>A RIFF/WAVE file around <see cref="Pcm"/>.</summary>
    public static byte[] Wav(double seconds)
    {
        var pcm = Pcm(seconds);
        var wav = new byte[44 + pcm.Length];
        var s = wav.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], 36 + pcm.Length);
        "WAVE"u8.CopyTo(s[8..]);
        "fmt "u8.CopyTo(s[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(s[20..], 1); // PCM
        BinaryPrimitives.WriteInt16LittleEndian(s[22..], 1); // mono
        BinaryPrimitives.WriteInt32LittleEndian(s[24..], SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(s[28..], SampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(s[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(s[34..], 16);
        "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[40..], pcm.Length);
        pcm.CopyTo(s[44..]);
        return wav;
    }

    /// <summary>
    /// Silent MPEG-1 Layer III frames, 128 kbit/s, 44.1 kHz, mono: header FF FB 90 C4, then zeroed side information
    /// (no main data, so decoders output silence), 417 bytes per frame of 1152 samples.
    /// </summary>
    public static byte[] Mp3(double seconds)
    {
        const int frameLength = 417;
        var frames = Math.Max(1, (int)Math.Ceiling(seconds * 44_100 / 1152));
        var mp3 = new byte[frames * frameLength];
        for (var f = 0; f < frames; f++)
        {
            var frame = mp3.AsSpan(f * frameLength);
            frame[0] = 0xFF;
            frame[1] = 0xFB;
            frame[2] = 0x90;
            frame[3] = 0xC4;
        }
        return mp3;
    }
}
