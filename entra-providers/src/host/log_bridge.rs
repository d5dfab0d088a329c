//! The library's `tracing` events handed to a host's logger, written once for every binding.
//!
//! A binding installs one [`LogSink`] (Python's `logging`, a JavaScript function) and says how
//! verbose the host wants the logs ([`set_forwarded_level`]). The layer keeps each span's fields
//! (the run, the tenant) so every event reaches the sink with its context, whatever thread
//! emitted it. Spans are always recorded, whatever the level, so a `warn` event inside an
//! `info` span still carries the span's run and tenant.
//!
//! The level is checked per event with one atomic load: attaching to a host runtime for every
//! event would serialize the Rust threads on it, so disabled levels cost almost nothing.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use entra_core::CoreError;
use serde_json::{Map, Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A log level as hosts name it (`error` … `trace`), ordered from the least to the most verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Failures.
    Error = 1,
    /// Degraded but continuing (a skipped row, a withheld inactivation).
    Warn = 2,
    /// Run and tenant milestones.
    Info = 3,
    /// Requests and decisions.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl LogLevel {
    /// The level's lower-case name, as hosts write it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    /// The standard numeric level Python's `logging` uses (TRACE, which it lacks, is 5).
    pub fn python_number(self) -> i32 {
        match self {
            LogLevel::Error => 40,
            LogLevel::Warn => 30,
            LogLevel::Info => 20,
            LogLevel::Debug => 10,
            LogLevel::Trace => 5,
        }
    }

    /// The most verbose level a Python logger with effective level `number` receives, `None`
    /// when it receives nothing (above ERROR).
    pub fn from_python_number(number: i32) -> Option<LogLevel> {
        match number {
            n if n <= 5 => Some(LogLevel::Trace),
            n if n <= 10 => Some(LogLevel::Debug),
            n if n <= 20 => Some(LogLevel::Info),
            n if n <= 30 => Some(LogLevel::Warn),
            n if n <= 40 => Some(LogLevel::Error),
            _ => None,
        }
    }

    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }
}

/// Reads a host's level setting: a level name, or `off` for `None` (nothing forwarded).
pub fn parse_forwarded_level(text: &str) -> Result<Option<LogLevel>, CoreError> {
    if text == "off" {
        return Ok(None);
    }
    LogLevel::from_str(text).map(Some)
}

impl FromStr for LogLevel {
    type Err = CoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "error" => Ok(LogLevel::Error),
            "warn" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            "trace" => Ok(LogLevel::Trace),
            other => Err(CoreError::invalid_input(format!(
                "unknown log level `{}` (error, warn, info, debug, trace, off)",
                entra_core::error::echo(other)
            ))),
        }
    }
}

/// A span the event happened in: its name and its fields.
#[derive(Debug, Clone)]
pub struct SpanContext {
    /// The span's name (`sync_tenant`, `run`, …).
    pub name: &'static str,
    /// The span's fields (run id, tenant id, …).
    pub fields: Map<String, Value>,
}

/// One event as a sink receives it.
#[derive(Debug, Clone)]
pub struct LogEvent {
    /// The event's level.
    pub level: LogLevel,
    /// The event's message.
    pub message: String,
    /// The Rust module that emitted it.
    pub target: &'static str,
    /// The event's own fields.
    pub fields: Map<String, Value>,
    /// The spans it happened in, outermost first.
    pub spans: Vec<SpanContext>,
}

impl LogEvent {
    /// The fields of every enclosing span merged, inner spans winning: the run and tenant an
    /// event belongs to.
    pub fn context(&self) -> Map<String, Value> {
        let mut context = Map::new();
        for span in &self.spans {
            context.extend(span.fields.clone());
        }
        context
    }

    /// `{level, message, target, fields, context}`, the JSON form hosts receive.
    pub fn to_json(&self) -> Value {
        json!({
            "level": self.level.as_str(),
            "message": self.message,
            "target": self.target,
            "fields": self.fields,
            "context": self.context(),
        })
    }

    /// One line, `span k=v: message k=v`, for line-oriented loggers.
    pub fn to_line(&self) -> String {
        let mut line = String::new();
        for span in &self.spans {
            line.push_str(span.name);
            push_pairs(&mut line, &span.fields);
            line.push_str(": ");
        }
        line.push_str(&self.message);
        push_pairs(&mut line, &self.fields);
        line
    }
}

fn push_pairs(line: &mut String, fields: &Map<String, Value>) {
    for (key, value) in fields {
        let _ = match value {
            Value::String(text) => write!(line, " {key}={text}"),
            other => write!(line, " {key}={other}"),
        };
    }
}

/// Where a binding sends events: called on the thread that emitted the event, so a sink queues
/// or attaches to its runtime as it needs.
pub trait LogSink: Send + Sync + 'static {
    /// Hands one event to the host.
    fn emit(&self, event: LogEvent);
}

/// The most verbose level forwarded: 0 none, else a [`LogLevel`] as a number.
static FORWARDED: AtomicU8 = AtomicU8::new(0);

static INSTALLED: OnceLock<()> = OnceLock::new();

/// Sets how verbose the forwarded events are (`None`: none at all).
pub fn set_forwarded_level(level: Option<LogLevel>) {
    let value = level.map_or(0, |l| l as u8);
    if FORWARDED.swap(value, Ordering::Relaxed) != value {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// The level currently forwarded.
pub fn forwarded_level() -> Option<LogLevel> {
    match FORWARDED.load(Ordering::Relaxed) {
        1 => Some(LogLevel::Error),
        2 => Some(LogLevel::Warn),
        3 => Some(LogLevel::Info),
        4 => Some(LogLevel::Debug),
        5 => Some(LogLevel::Trace),
        _ => None,
    }
}

/// Installs `sink` behind the process-wide `tracing` subscriber, once per process (later calls
/// do nothing), unless the process already has a subscriber: then the library's events go where
/// that host decided. Returns whether this call installed it.
pub fn install_sink(sink: Arc<dyn LogSink>) -> bool {
    let mut installed = false;
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(Forwarding { sink });
        installed = tracing::subscriber::set_global_default(subscriber).is_ok();
    });
    installed
}

/// Collects a span's or an event's fields, the message apart.
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

/// A span's fields, kept in the span's extensions.
struct SpanFields(Map<String, Value>);

/// The layer that hands events to the sink.
struct Forwarding {
    sink: Arc<dyn LogSink>,
}

impl<S> Layer<S> for Forwarding
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // The level changes at run time, so decide per event.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.is_span()
            || LogLevel::of(metadata.level()) as u8 <= FORWARDED.load(Ordering::Relaxed)
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
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                let fields = span
                    .extensions()
                    .get::<SpanFields>()
                    .map(|f| f.0.clone())
                    .unwrap_or_default();
                spans.push(SpanContext {
                    name: span.name(),
                    fields,
                });
            }
        }
        let metadata = event.metadata();
        self.sink.emit(LogEvent {
            level: LogLevel::of(metadata.level()),
            message: fields.message,
            target: metadata.target(),
            fields: fields.rest,
            spans,
        });
    }
}

/// Emits one event at `level` inside a span with run and tenant fields: the probe bindings' tests
/// use to check the bridge end to end.
pub fn emit_probe(level: LogLevel, message: &str) {
    let span = tracing::info_span!("probe", run = "run-1", tenant = "t-1");
    let _entered = span.enter();
    match level {
        LogLevel::Error => tracing::error!(detail = 1, "{message}"),
        LogLevel::Warn => tracing::warn!(detail = 1, "{message}"),
        LogLevel::Info => tracing::info!(detail = 1, "{message}"),
        LogLevel::Debug => tracing::debug!(detail = 1, "{message}"),
        LogLevel::Trace => tracing::trace!(detail = 1, "{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> LogEvent {
        let mut outer = Map::new();
        outer.insert("run".into(), json!("run-1"));
        let mut inner = Map::new();
        inner.insert("tenant".into(), json!("t-1"));
        inner.insert("run".into(), json!("run-2"));
        let mut fields = Map::new();
        fields.insert("count".into(), json!(3));
        LogEvent {
            level: LogLevel::Warn,
            message: "listing incomplete".into(),
            target: "entra_core::engine",
            fields,
            spans: vec![
                SpanContext {
                    name: "run",
                    fields: outer,
                },
                SpanContext {
                    name: "tenant",
                    fields: inner,
                },
            ],
        }
    }

    #[test]
    fn inner_span_fields_win_in_the_context() {
        let context = event().context();
        assert_eq!(context["run"], json!("run-2"));
        assert_eq!(context["tenant"], json!("t-1"));
    }

    #[test]
    fn a_line_names_each_span_then_the_message() {
        assert_eq!(
            event().to_line(),
            "run run=run-1: tenant run=run-2 tenant=t-1: listing incomplete count=3"
        );
    }

    #[test]
    fn levels_read_from_names_and_python_numbers() {
        let cases: &[(&str, Option<LogLevel>)] = &[
            ("off", None),
            ("error", Some(LogLevel::Error)),
            ("warn", Some(LogLevel::Warn)),
            ("info", Some(LogLevel::Info)),
            ("debug", Some(LogLevel::Debug)),
            ("trace", Some(LogLevel::Trace)),
        ];
        for (text, level) in cases {
            assert_eq!(parse_forwarded_level(text).unwrap(), *level, "{text}");
            if let Some(level) = level {
                assert_eq!(
                    LogLevel::from_python_number(level.python_number()),
                    Some(*level)
                );
            }
        }
        assert_eq!(LogLevel::from_python_number(50), None);
        let err = parse_forwarded_level("verbose").unwrap_err();
        assert_eq!(err.code(), "invalid_input");
    }
}
