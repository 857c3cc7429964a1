using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ModelBinding.Binders;

namespace CharacterHub.Web.Infrastructure.Web;

/// <summary>
/// Binds bool and bool? as MVC does, but when the posted value is not a boolean ("abc" in a checkbox field) it keeps
/// the binding error and records "false" as the value the user sent: the checkbox helpers parse that value back when
/// the form is shown again, and threw (a 500) on anything that is not a boolean.
/// </summary>
internal sealed class CheckboxSafeBooleanBinderProvider : IModelBinderProvider
{
    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        var type = context.Metadata.ModelType;
        if (type != typeof(bool) && type != typeof(bool?)) return null;
        var loggers = context.Services.GetRequiredService<ILoggerFactory>();
        return new Binder(new SimpleTypeModelBinder(type, loggers));
    }

    private sealed class Binder(IModelBinder inner) : IModelBinder
    {
        public async Task BindModelAsync(ModelBindingContext context)
        {
            await inner.BindModelAsync(context);
            if (context.Result.IsModelSet) return;
            if (context.ModelState.TryGetValue(context.ModelName, out var entry) && entry.Errors.Count > 0
                && !string.IsNullOrEmpty(entry.AttemptedValue) && !bool.TryParse(entry.AttemptedValue, out _))
                context.ModelState.SetModelValue(context.ModelName, rawValue: false, attemptedValue: "false");
        }
    }
}

/// <summary>
/// A post naming a handler the page does not have (?handler=Bogus) would render the page without running any handler,
/// on a model nothing loaded (a 500): it is answered 405, "That action is not allowed here".
/// </summary>
internal sealed class UnknownHandlerFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var method = context.HttpContext.Request.Method;
        if (context.HandlerMethod is null && !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            context.Result = new StatusCodeResult(StatusCodes.Status405MethodNotAllowed);
            return;
        }
        await next();
    }
}
