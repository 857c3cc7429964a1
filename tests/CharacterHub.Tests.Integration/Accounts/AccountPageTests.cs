using System.Net;
using CharacterHub.Tests.Support;
using SkiaSharp;

namespace CharacterHub.Tests.Integration.Accounts;

public sealed class AccountPageTests : IntegrationTest
{
    [Test]
    public async Task ChangePassword_SignsOutEveryOtherSession_ButKeepsThisOne()
    {
        var laptop = await SignedInClient("hana");
        var phone = Client();
        await phone.LoginAsync("hana");
        Assert.That((await phone.GetAsync("/account")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var change = await laptop.PostFormAsync("/account", new Dictionary<string, string>
        {
            ["CurrentPassword"] = "correct horse battery", ["NewPassword"] = "a brand new passphrase", ["ConfirmPassword"] = "a brand new passphrase",
        }, action: "/account?handler=Password", htmx: true);
        Assert.That(await change.Content.ReadAsStringAsync(), Does.Contain("Password changed"));

        Assert.That((await laptop.GetAsync("/account")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "this session stays");
        Assert.That((await phone.GetAsync("/account")).StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the other one is out");
        Assert.That((await Client().LoginAsync("hana", "a brand new passphrase")).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
    }

    [Test]
    public async Task ChangePassword_WithWrongCurrentPassword_ShowsFieldError_AsAFragmentForHtmx()
    {
        var client = await SignedInClient("ivan");
        var response = await client.PostFormAsync("/account", new Dictionary<string, string>
        {
            ["CurrentPassword"] = "not my password", ["NewPassword"] = "a brand new passphrase", ["ConfirmPassword"] = "a brand new passphrase",
        }, action: "/account?handler=Password", htmx: true);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.StartWith("<section").And.Contain("That is not your current password."));
        Assert.That(html, Does.Not.Contain("<html"), "htmx gets the section only");
        Assert.That(response.Headers.Vary, Does.Contain("HX-Request"));
    }

    [Test]
    public async Task Profile_BioWithScript_RendersInert()
    {
        var client = await SignedInClient("judy");
        await client.PostFormAsync("/account", new Dictionary<string, string>
        {
            ["DisplayName"] = "Judy <b>", ["Email"] = "", ["Bio"] = "**hi** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        }, action: "/account?handler=Profile");
        var (_, html) = await client.GetPageAsync("/account");
        var prose = TestClient.Parse(html).QuerySelector(".prose")!;
        Assert.That(prose.InnerHtml, Does.Contain("<strong>hi</strong>"));
        Assert.That(prose.QuerySelectorAll("script, img, [onerror]"), Is.Empty);
        Assert.That(prose.QuerySelectorAll("a[href^='javascript']"), Is.Empty);
    }

    [Test]
    public async Task Avatar_Upload_IsReencodedAndServedWithCacheHeaders()
    {
        var client = await SignedInClient("kate");
        var png = MakePng(300, 200);
        var response = await client.PostMultipartAsync("/account", "/account?handler=Avatar", "avatar", png, "me.png", "image/png", htmx: true);
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Avatar updated."));

        var (_, page) = await client.GetPageAsync("/account");
        var src = TestClient.Parse(page).QuerySelector("img.avatar")!.GetAttribute("src")!;
        var image = await client.GetAsync(src);
        Assert.That(image.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/webp"));
        Assert.That(image.Headers.ETag, Is.Not.Null);
        using var decoded = SKBitmap.Decode(await image.Content.ReadAsByteArrayAsync());
        Assert.That((decoded.Width, decoded.Height), Is.EqualTo((200, 200)), "cropped square, never upscaled");
    }

    [Test]
    public async Task Avatar_NotAnImage_IsRefusedWithAMessage()
    {
        var client = await SignedInClient("liam");
        var response = await client.PostMultipartAsync("/account", "/account?handler=Avatar", "avatar",
            "<?php echo 1; ?>"u8.ToArray(), "evil.png", "image/png", htmx: true);
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("not a PNG, JPEG, WebP or GIF"));
        Assert.That((await client.GetPageAsync("/account")).Body, Does.Not.Contain("img class=\"avatar"));
    }

    private static byte[] MakePng(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.Coral);
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
    }
}
