//! Rust `tracing` events forwarded to the logger the host sets with `setLogger` (`index.js`
//! accepts a function or anything with `info`/`warn`/`error`). Each event reaches JavaScript as
//! JSON `{level, message, target, fields, context}`: `context` holds the fields of the spans
//! the event happened in (the run, the tenant). Events are queued to the JavaScript thread from
//! whatever thread emits them; the queue holds no reference on the event loop, so a logger never
//! keeps the process alive.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Map, Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The most verbose level forwarded: 0 none, 1 error, 2 warn, 3 info, 4 debug, 5 trace.
static FORWARDED: AtomicU8 = AtomicU8::new(0);

type LogFn = ThreadsafeFunction<String, (), String, napi::Status, false, true>;

/// The host's logger, if one is set.
static LOGGER: Mutex<Option<Arc<LogFn>>> = Mutex::new(None);

static INSTALLED: OnceLock<()> = OnceLock::new();

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// Collects an event's or a span's fields: the message apart, the others as strings.
#[derive(Default)]
struct Fields {
    message: String,
    rest: Map<String, Value>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.rest.insert(field.name().to_string(), json!(value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.rest.insert(field.name().to_string(), json!(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.rest.insert(field.name().to_string(), json!(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.rest.insert(field.name().to_string(), json!(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.rest
                .insert(field.name().to_string(), json!(format!("{value:?}")));
        }
    }
}

/// The fields of a span, kept in the span's extensions.
struct SpanFields(Map<String, Value>);

/// The layer that hands events to the host's logger.
struct NodeLogging;

impl<S> Layer<S> for NodeLogging
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // The level can change at run time, so decide per event.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.is_span() || rank(metadata.level()) <= FORWARDED.load(Ordering::Relaxed)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.rest));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(span) = ctx.span(id)
            && let Some(existing) = span.extensions_mut().get_mut::<SpanFields>()
        {
            existing.0.extend(fields.rest);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(logger) = LOGGER.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut context = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    context.extend(f.0.clone());
                }
            }
        }
        let metadata = event.metadata();
        let payload = json!({
            "level": name(metadata.level()),
            "message": fields.message,
            "target": metadata.target(),
            "fields": fields.rest,
            "context": context,
        });
        logger.call(payload.to_string(), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Installs the forwarding layer as the process-wide subscriber (once), unless the process has
/// another one already.
fn install() {
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(NodeLogging);
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Sets the host's logger (`null` removes it) and the most verbose level it receives
/// (`error`, `warn`, `info`, `debug`, `trace` or `off`).
#[napi]
pub fn set_native_logger(
    #[napi(ts_arg_type = "((event: string) => void) | null | undefined")] logger: Option<
        Function<'_, String, ()>,
    >,
    level: Option<String>,
) -> napi::Result<()> {
    install();
    let forwarded = match level.as_deref().unwrap_or("info") {
        "off" => 0,
        "error" => 1,
        "warn" => 2,
        "info" => 3,
        "debug" => 4,
        "trace" => 5,
        other => {
            return Err(crate::errors::invalid_input(&format!(
                "unknown log level `{other}` (error, warn, info, debug, trace, off)"
            )));
        }
    };
    let tsfn = match logger {
        Some(f) => Some(Arc::new(
            f.build_threadsafe_function::<String>()
                .weak::<true>()
                .callee_handled::<false>()
                .build()?,
        )),
        None => None,
    };
    let active = tsfn.is_some();
    *LOGGER.lock().unwrap_or_else(|e| e.into_inner()) = tsfn;
    FORWARDED.store(if active { forwarded } else { 0 }, Ordering::Relaxed);
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// Emits one event at `level` through `tracing`, inside a span with run and tenant fields, to
/// check the bridge end to end.
#[cfg(feature = "test-hooks")]
#[napi]
pub fn emit_log_for_test(level: String, message: String) {
    let span = tracing::info_span!("probe", run = "run-1", tenant = "t-1");
    let _entered = span.enter();
    match level.as_str() {
        "error" => tracing::error!(detail = 1, "{message}"),
        "warn" => tracing::warn!(detail = 1, "{message}"),
        "info" => tracing::info!(detail = 1, "{message}"),
        "debug" => tracing::debug!(detail = 1, "{message}"),
        _ => tracing::trace!(detail = 1, "{message}"),
    }
}
