//! Rust `tracing` events forwarded to Python's `logging` (logger `entra_sync`), so a Python host
//! configures the library's logs the way it configures its own.
//!
//! Attaching to the interpreter for every event would serialize the Rust threads on the GIL, so
//! the layer only forwards events at or above the logger's effective level, which is read again
//! at the start of every call into the package (a Python host that changes the level sees the
//! change on its next call).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The most verbose level forwarded: 0 none, 1 error, 2 warn, 3 info, 4 debug, 5 trace.
static FORWARDED: AtomicU8 = AtomicU8::new(2);

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("logging")?
                    .call_method1("getLogger", ("entra_sync",))?
                    .unbind(),
            )
        })
        .map(|l| l.bind(py))
}

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// Reads the `entra_sync` logger's effective level again. Called on every entry into the package.
pub fn refresh(py: Python<'_>) {
    let level = logger(py)
        .and_then(|l| l.call_method0("getEffectiveLevel"))
        .and_then(|l| l.extract::<i32>())
        .unwrap_or(30);
    let forwarded = match level {
        l if l <= 5 => 5,
        l if l <= 10 => 4,
        l if l <= 20 => 3,
        l if l <= 30 => 2,
        l if l <= 40 => 1,
        _ => 0,
    };
    FORWARDED.store(forwarded, Ordering::Relaxed);
}

/// Re-reads the `entra_sync` logger's level now (it is also re-read on every call).
#[pyfunction]
pub fn refresh_log_level(py: Python<'_>) {
    refresh(py);
}

/// Collects an event's or a span's fields as `message key=value ...`.
#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={:?}", field.name(), value);
        }
    }
}

/// The formatted fields of a span, kept in the span's extensions.
struct SpanFields(String);

/// The layer that hands events to Python.
struct PythonLogging;

impl<S> Layer<S> for PythonLogging
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // The level can change at run time, so decide per event.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        rank(metadata.level()) <= FORWARDED.load(Ordering::Relaxed)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            let text = format!("{}{}{}", span.name(), fields.message, fields.rest);
            span.extensions_mut().insert(SpanFields(text));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(span) = ctx.span(id)
            && let Some(existing) = span.extensions_mut().get_mut::<SpanFields>()
        {
            existing.0.push_str(&fields.rest);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut text = String::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    text.push_str(&f.0);
                    text.push_str(": ");
                }
            }
        }
        text.push_str(&fields.message);
        text.push_str(&fields.rest);
        let metadata = event.metadata();
        let level = python_level(metadata.level());
        let target = metadata.target();
        // Never attach once the interpreter is exiting (see `runtime`).
        let _ = crate::runtime::attach(|py| {
            let forward = || -> PyResult<()> {
                let extra = PyDict::new(py);
                extra.set_item("rust_target", target)?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("extra", extra)?;
                logger(py)?.call_method("log", (level, text), Some(&kwargs))?;
                Ok(())
            };
            if let Err(err) = forward() {
                err.write_unraisable(py, None);
            }
        });
    }
}

/// Installs the forwarding layer as the process-wide subscriber, unless the host process has
/// already installed one (then Rust logs go where that host decided).
pub fn install(py: Python<'_>) {
    refresh(py);
    let subscriber = tracing_subscriber::registry().with(PythonLogging);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Emits one event at `level` through `tracing`, to check the bridge end to end from Python.
#[cfg(feature = "test-hooks")]
#[pyfunction]
pub fn _emit_log_for_test(py: Python<'_>, level: &str, message: &str) {
    refresh(py);
    py.detach(|| {
        let span = tracing::info_span!("probe", tenant = "t-1");
        let _entered = span.enter();
        match level {
            "error" => tracing::error!(detail = 1, "{message}"),
            "warn" => tracing::warn!(detail = 1, "{message}"),
            "info" => tracing::info!(detail = 1, "{message}"),
            "debug" => tracing::debug!(detail = 1, "{message}"),
            _ => tracing::trace!(detail = 1, "{message}"),
        }
    });
}
