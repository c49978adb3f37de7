//! TOML text to a document of spanned values.
//!
//! `toml_parser` lexes the text, checks its grammar and decodes its keys
//! and scalars; this module applies TOML's rules about tables on its
//! events: `[a.b]` and `[[a.b]]` headers, dotted keys, implicit tables,
//! arrays of tables, and inline tables that nothing may extend. A table is
//! defined once; a key, once per table.
//!
//! Why not `toml::de::DeTable`, which does the same: this parser is
//! compiled into the `generate!` proc-macro, and the `toml` crate (with
//! `toml_datetime` and `serde_spanned`) would sit on the critical path of
//! every user's clean build before this crate could start
//! (benches/derive-build-time.sh). The document is also only what the
//! spec's reader needs: dates and floats keep their text, since no key of
//! a spec takes a float and only a waiver's `expires` takes a date.
//!
//! The first problem found is the one reported, with `toml`'s message: a
//! syntax error before any error of tables, and those in file order
//! (`toml` checks an `[[array]]` header when its section ends, so of two
//! such errors it may name the later). A few malformed date-times are
//! worded otherwise than `toml_datetime` words them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use toml_parser::decoder::ScalarKind;
use toml_parser::parser::{Event, EventKind, RecursionGuard, ValidateWhitespace};
use toml_parser::{ErrorSink, Expected, ParseError, Source};

/// How deeply arrays and inline tables may nest, and how many parts a
/// dotted key may have: a hostile file cannot exhaust the stack.
const DEPTH_LIMIT: u32 = 80;

/// A table with more entries than this gets a hash index of its keys.
const INDEX_FROM: usize = 16;

/// A TOML problem: the message and where it is.
pub(super) struct Error {
    pub(super) message: String,
    pub(super) span: Option<Range<usize>>,
}

/// A value and the bytes it was read from.
pub(super) struct Value {
    pub(super) span: Range<usize>,
    pub(super) kind: Kind,
}

pub(super) enum Kind {
    String(String),
    /// Digits without sign prefix or underscores, as `i64::from_str_radix`
    /// takes them, and the radix.
    Integer(String, u32),
    Float,
    Boolean(bool),
    /// A date or time, as written.
    Datetime(String),
    Array(Array),
    Table(Table),
}

impl Kind {
    /// How `toml` names a value's type in its messages.
    fn type_name(&self) -> &'static str {
        match self {
            Kind::String(_) => "string",
            Kind::Integer(..) => "integer",
            Kind::Float => "float",
            Kind::Boolean(_) => "boolean",
            Kind::Datetime(_) => "datetime",
            Kind::Array(_) => "array",
            Kind::Table(_) => "table",
        }
    }
}

pub(super) struct Array {
    pub(super) items: Vec<Value>,
    /// Made by `[[...]]` headers: extended by the next one, and the last
    /// element is the table that headers and dotted keys below reach.
    of_tables: bool,
}

/// A key as written (decoded), with its span.
pub(super) struct Key {
    pub(super) name: String,
    pub(super) span: Range<usize>,
}

#[derive(Default)]
pub(super) struct Table {
    entries: Vec<(Key, Value)>,
    index: Option<HashMap<String, usize>>,
    /// Created on the way to a deeper header or dotted key, not defined by
    /// a header of its own: a later `[header]` may still define it.
    implicit: bool,
    /// Created or extended by dotted keys: no header may define it.
    dotted: bool,
    /// Written `{ ... }` (or created inside one): closed for good.
    inline: bool,
}

impl Table {
    /// The entries, in file order.
    pub(super) fn entries(&self) -> &[(Key, Value)] {
        &self.entries
    }

    pub(super) fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k.name == key),
        }
    }

    fn insert(&mut self, key: Key, value: Value) -> usize {
        let at = self.entries.len();
        if let Some(index) = &mut self.index {
            index.insert(key.name.clone(), at);
        } else if at >= INDEX_FROM {
            let mut index = HashMap::with_capacity(at * 2);
            for (i, (k, _)) in self.entries.iter().enumerate() {
                index.insert(k.name.clone(), i);
            }
            index.insert(key.name.clone(), at);
            self.index = Some(index);
        }
        self.entries.push((key, value));
        at
    }

    fn new_implicit(dotted: bool, inline: bool) -> Table {
        Table {
            implicit: true,
            dotted,
            inline,
            ..Table::default()
        }
    }
}

/// Keeps the first problem reported.
struct FirstError(Option<Error>);

impl ErrorSink for FirstError {
    fn report_error(&mut self, error: ParseError) {
        if self.0.is_none() {
            self.0 = Some(Error {
                message: message(&error),
                span: error.unexpected().map(|s| s.start()..s.end()),
            });
        }
    }
}

/// `toml`'s wording: the description, then what was expected.
fn message(error: &ParseError) -> String {
    let mut message = error.description().to_string();
    if let Some(expected) = error.expected() {
        message.push_str(", expected ");
        if expected.is_empty() {
            message.push_str("nothing");
        }
        for (i, expected) in expected.iter().enumerate() {
            if i != 0 {
                message.push_str(", ");
            }
            match expected {
                Expected::Literal("\n") => message.push_str("newline"),
                Expected::Literal("`") => message.push_str("'`'"),
                Expected::Literal(s) if s.chars().all(|c| c.is_ascii_control()) => {
                    message.push('`');
                    message.extend(s.escape_debug());
                    message.push('`');
                }
                Expected::Literal(s) => {
                    message.push('`');
                    message.push_str(s);
                    message.push('`');
                }
                Expected::Description(s) => message.push_str(s),
                _ => message.push_str("etc"),
            }
        }
    }
    message
}

/// `key` defined again; `earlier`, where it was first, when there is one
/// key to point at.
fn duplicate(errors: &mut FirstError, key: &Range<usize>, earlier: Option<&Range<usize>>) {
    let mut error = ParseError::new("duplicate key").with_unexpected(toml_span(key));
    if let Some(earlier) = earlier {
        error = error.with_context(toml_span(earlier));
    }
    errors.report_error(error);
}

fn toml_span(span: &Range<usize>) -> toml_parser::Span {
    toml_parser::Span::new_unchecked(span.start, span.end)
}

fn range(span: toml_parser::Span) -> Range<usize> {
    span.start()..span.end()
}

/// Checks a date-time as TOML takes it (RFC 3339): a local date
/// `YYYY-MM-DD`, a local time `HH:MM[:SS[.fraction]]`, or both joined by
/// `T`, `t` or a space, with an optional offset `Z`, `z` or `+HH:MM`.
/// toml_parser tells a date-time from the other scalars by its shape only.
fn datetime(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let mut at = 0;
    // `shape`: what toml says when the digits are missing or too few
    // (`a two-digit hour (HH)`); `field`: the value's name for its range.
    let number = |at: &mut usize, width: usize, max: u32, what: &str, shape: &str, field: &str| {
        let digits = b
            .get(*at..*at + width)
            .filter(|d| d.iter().all(u8::is_ascii_digit));
        let Some(digits) = digits else {
            return Err(format!("invalid {what}, expected {shape}"));
        };
        *at += width;
        let n = digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
        if n > max {
            let low = if matches!(field, "month" | "day") {
                "01"
            } else {
                "00"
            };
            return Err(format!(
                "invalid {what}, expected {field} between {low} and {max}"
            ));
        }
        Ok(n)
    };
    let expect = |at: &mut usize, c: &[u8], what: &str, shown: &str| {
        if b.get(*at).is_some_and(|x| c.contains(x)) {
            *at += 1;
            Ok(())
        } else {
            Err(format!("invalid {what}, expected {shown}"))
        }
    };
    // Digits then `:` start a time; digits then anything else, a date.
    let is_time = b.iter().find(|c| !c.is_ascii_digit()) == Some(&b':');
    if !is_time {
        let year = number(&mut at, 4, 9999, "date", "a four-digit year (YYYY)", "year")?;
        expect(&mut at, b"-", "date", "`-` (YYYY-MM)")?;
        let month = number(&mut at, 2, 12, "date", "a two-digit month (MM)", "month")?;
        expect(&mut at, b"-", "date", "`-` (MM-DD)")?;
        let day = number(&mut at, 2, 31, "date", "a two-digit day (DD)", "day")?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if month == 0 || day == 0 || day > days {
            return Err(if month == 0 {
                "invalid date, expected month between 01 and 12".to_string()
            } else {
                format!("invalid date, expected day between 01 and {days}")
            });
        }
        if at == b.len() {
            return Ok(());
        }
        expect(&mut at, b"Tt ", "date-time", "`T` between date and time")?;
    }
    number(&mut at, 2, 23, "time", "a two-digit hour (HH)", "hour")?;
    expect(&mut at, b":", "time", "`:` (HH:MM)")?;
    number(&mut at, 2, 59, "time", "a two-digit minute (MM)", "minute")?;
    if b.get(at) == Some(&b':') {
        at += 1;
        number(&mut at, 2, 60, "time", "a two-digit second (SS)", "second")?;
        if b.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while b.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            if at == start {
                return Err("invalid time, expected nanosecond".into());
            }
        }
    }
    if !is_time && at < b.len() {
        if b[at] == b'Z' || b[at] == b'z' {
            at += 1;
        } else {
            expect(&mut at, b"+-", "offset", "`Z`, +OFFSET, -OFFSET")?;
            number(&mut at, 2, 23, "offset", "a two-digit hour (HH)", "hours")?;
            expect(&mut at, b":", "offset", "`:` (HH:MM)")?;
            number(
                &mut at,
                2,
                59,
                "offset",
                "a two-digit minute (MM)",
                "minutes",
            )?;
        }
    }
    if at != b.len() {
        return Err("invalid datetime".into());
    }
    Ok(())
}

/// Parses a whole document into its root table.
pub(super) fn parse(text: &str) -> Result<Table, Error> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut events: Vec<Event> = Vec::with_capacity(tokens.len());
    let mut errors = FirstError(None);
    {
        let mut whitespace = ValidateWhitespace::new(&mut events, source);
        let mut guard = RecursionGuard::new(&mut whitespace, DEPTH_LIMIT);
        toml_parser::parser::parse_document(&tokens, &mut guard, &mut errors);
    }
    let mut builder = Builder {
        events: &events,
        next: 0,
        source,
        errors,
    };
    let root = builder.document();
    match builder.errors.0 {
        Some(error) => Err(error),
        None => Ok(root),
    }
}

/// Events between values that carry nothing: whitespace, comments,
/// newlines, and the grammar's errors (reported already).
fn skipped(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Whitespace | EventKind::Comment | EventKind::Newline | EventKind::Error
    )
}

struct Builder<'e, 'i> {
    events: &'e [Event],
    next: usize,
    source: Source<'i>,
    errors: FirstError,
}

/// Where keys and values go: the root table, or the table a header named,
/// as the path of keys from the root (an array of tables is entered at its
/// last element).
type Path = Vec<String>;

impl Builder<'_, '_> {
    fn bump(&mut self) -> Option<Event> {
        let event = self.events.get(self.next).copied();
        self.next += 1;
        event
    }

    fn peek(&self, ahead: usize) -> Option<EventKind> {
        self.events.get(self.next + ahead).map(Event::kind)
    }

    fn document(&mut self) -> Table {
        let mut root = Table::default();
        let mut current: Path = Vec::new();
        while let Some(event) = self.bump() {
            match event.kind() {
                EventKind::StdTableOpen | EventKind::ArrayTableOpen => {
                    let array = event.kind() == EventKind::ArrayTableOpen;
                    let Some((keys, span)) = self.header(event) else {
                        continue;
                    };
                    if let Some(path) = self.define(&mut root, keys, span, array) {
                        current = path;
                    }
                }
                EventKind::SimpleKey => {
                    let Some(keys) = self.key(event) else { break };
                    if self.peek(0) == Some(EventKind::Whitespace) {
                        self.next += 1;
                    }
                    if self.bump().map(|e| e.kind()) != Some(EventKind::KeyValSep) {
                        break;
                    }
                    if self.peek(0) == Some(EventKind::Whitespace) {
                        self.next += 1;
                    }
                    let value = self.value();
                    let Some(table) = self.walk(&mut root, &current) else {
                        continue;
                    };
                    self.key_value(table, keys, value, false);
                }
                // Whitespace, comments and newlines; anything else is an
                // error the grammar has reported already.
                _ => {}
            }
        }
        root
    }

    /// The keys of a `[header]` or `[[header]]`, and its span.
    fn header(&mut self, open: Event) -> Option<(Vec<Key>, Range<usize>)> {
        let mut keys = None;
        let mut end = open.span().end();
        while let Some(event) = self.bump() {
            match event.kind() {
                EventKind::StdTableClose | EventKind::ArrayTableClose => {
                    end = event.span().end();
                    break;
                }
                EventKind::SimpleKey => keys = self.key(event),
                _ => {}
            }
        }
        Some((keys?, open.span().start()..end))
    }

    /// A simple or dotted key starting at `first`.
    fn key(&mut self, first: Event) -> Option<Vec<Key>> {
        let mut keys = vec![self.decode_key(first)];
        loop {
            let dot = match (self.peek(0), self.peek(1)) {
                (Some(EventKind::KeySep), _) => 1,
                (Some(EventKind::Whitespace), Some(EventKind::KeySep)) => 2,
                _ => break,
            };
            self.next += dot;
            while let Some(event) = self.bump() {
                match event.kind() {
                    EventKind::Whitespace => {}
                    EventKind::SimpleKey => {
                        keys.push(self.decode_key(event));
                        break;
                    }
                    _ => {}
                }
            }
        }
        if keys.len() > DEPTH_LIMIT as usize {
            self.errors.report_error(ParseError::new("recursion limit"));
            return None;
        }
        Some(keys)
    }

    fn decode_key(&mut self, event: Event) -> Key {
        let mut name = Cow::Borrowed("");
        if let Some(raw) = self.source.get(event) {
            raw.decode_key(&mut name, &mut self.errors);
        }
        Key {
            name: name.into_owned(),
            span: range(event.span()),
        }
    }

    /// Defines the table a header names; returns its path.
    fn define(
        &mut self,
        root: &mut Table,
        mut keys: Vec<Key>,
        span: Range<usize>,
        array: bool,
    ) -> Option<Path> {
        let last = keys.pop()?;
        let mut parent = &mut *root;
        for key in &keys {
            parent = self.descend(parent, key, false)?;
        }
        let mut path: Path = keys.into_iter().map(|k| k.name).collect();
        path.push(last.name.clone());
        match parent.position(&last.name) {
            None if array => {
                let table = Value {
                    span: span.clone(),
                    kind: Kind::Table(Table::default()),
                };
                let items = Value {
                    span,
                    kind: Kind::Array(Array {
                        items: vec![table],
                        of_tables: true,
                    }),
                };
                parent.insert(last, items);
            }
            None => {
                let table = Value {
                    span,
                    kind: Kind::Table(Table::default()),
                };
                parent.insert(last, table);
            }
            Some(at) => {
                let (old_key, old) = &mut parent.entries[at];
                match &mut old.kind {
                    Kind::Array(items) if array && items.of_tables => {
                        items.items.push(Value {
                            span,
                            kind: Kind::Table(Table::default()),
                        });
                    }
                    Kind::Table(table) if !array && table.implicit && !table.dotted => {
                        table.implicit = false;
                        old.span = span;
                        *old_key = last;
                    }
                    _ => {
                        duplicate(&mut self.errors, &last.span, Some(&old_key.span));
                        return None;
                    }
                }
            }
        }
        Some(path)
    }

    /// The table at `path` (the last element of an array of tables on the
    /// way); defined by a header, so it is there.
    fn walk<'t>(&mut self, root: &'t mut Table, path: &Path) -> Option<&'t mut Table> {
        let mut table = root;
        for name in path {
            let at = table.position(name)?;
            table = match &mut table.entries[at].1.kind {
                Kind::Table(t) => t,
                Kind::Array(a) => match a.items.last_mut().map(|v| &mut v.kind) {
                    Some(Kind::Table(t)) => t,
                    _ => return None,
                },
                _ => return None,
            };
        }
        Some(table)
    }

    /// One step of a header's path (`dotted` false) or of a dotted key:
    /// the table `key` names in `table`, created implicit if absent.
    fn descend<'t>(
        &mut self,
        table: &'t mut Table,
        key: &Key,
        dotted: bool,
    ) -> Option<&'t mut Table> {
        let inline = table.inline;
        let at = match table.position(&key.name) {
            Some(at) => at,
            None => {
                let value = Value {
                    span: key.span.clone(),
                    kind: Kind::Table(Table::new_implicit(dotted, inline)),
                };
                table.insert(
                    Key {
                        name: key.name.clone(),
                        span: key.span.clone(),
                    },
                    value,
                )
            }
        };
        let old = &table.entries[at].1;
        let old_span = toml_span(&old.span);
        let problem = match &old.kind {
            Kind::Array(a) if a.of_tables && !inline => None,
            Kind::Table(t) if t.inline && !inline => {
                Some("cannot extend value of type inline table with a dotted key".to_string())
            }
            Kind::Table(t) if dotted && !t.implicit => {
                duplicate(&mut self.errors, &key.span, None);
                return None;
            }
            Kind::Table(_) => None,
            other => Some(format!(
                "cannot extend value of type {} with a dotted key",
                other.type_name()
            )),
        };
        if let Some(problem) = problem {
            self.errors.report_error(
                ParseError::new(problem)
                    .with_unexpected(toml_span(&key.span))
                    .with_context(old_span),
            );
            return None;
        }
        match &mut table.entries[at].1.kind {
            Kind::Table(t) => {
                if dotted {
                    t.dotted = true;
                }
                Some(t)
            }
            Kind::Array(a) => match a.items.last_mut() {
                Some(Value {
                    kind: Kind::Table(t),
                    ..
                }) => Some(t),
                _ => None,
            },
            _ => None,
        }
    }

    /// `a.b.c = value` in `table`.
    fn key_value(&mut self, table: &mut Table, mut keys: Vec<Key>, value: Value, inline: bool) {
        let Some(last) = keys.pop() else { return };
        let mut parent = table;
        for key in &keys {
            match self.descend(parent, key, true) {
                Some(t) => parent = t,
                None => return,
            }
        }
        if !keys.is_empty() && !parent.implicit && !inline {
            duplicate(&mut self.errors, &last.span, None);
            return;
        }
        match parent.position(&last.name) {
            Some(at) => {
                duplicate(
                    &mut self.errors,
                    &last.span,
                    Some(&parent.entries[at].0.span),
                );
            }
            None => {
                parent.insert(last, value);
            }
        }
    }

    /// The value after `=` or in an array.
    fn value(&mut self) -> Value {
        match self.bump() {
            Some(event) if event.kind() == EventKind::InlineTableOpen => self.inline_table(event),
            Some(event) if event.kind() == EventKind::ArrayOpen => self.array(event),
            Some(event) if event.kind() == EventKind::Scalar => self.scalar(event),
            // The grammar has reported what is missing.
            _ => Value {
                span: 0..0,
                kind: Kind::Integer(String::new(), 10),
            },
        }
    }

    fn scalar(&mut self, event: Event) -> Value {
        let mut text = Cow::Borrowed("");
        let kind = match self.source.get(event) {
            Some(raw) => raw.decode_scalar(&mut text, &mut self.errors),
            None => ScalarKind::String,
        };
        let kind = match kind {
            ScalarKind::String => Kind::String(text.into_owned()),
            ScalarKind::Boolean(b) => Kind::Boolean(b),
            ScalarKind::DateTime => {
                if let Err(message) = datetime(&text) {
                    self.errors
                        .report_error(ParseError::new(message).with_unexpected(event.span()));
                }
                Kind::Datetime(text.into_owned())
            }
            ScalarKind::Float => Kind::Float,
            ScalarKind::Integer(radix) => Kind::Integer(text.into_owned(), radix.value()),
        };
        Value {
            span: range(event.span()),
            kind,
        }
    }

    fn array(&mut self, open: Event) -> Value {
        let mut items = Vec::new();
        let mut current = None;
        let mut end = open.span().end();
        while let Some(event) = self.bump() {
            end = event.span().end();
            match event.kind() {
                EventKind::InlineTableOpen | EventKind::ArrayOpen | EventKind::Scalar => {
                    self.next -= 1;
                    current = Some(self.value());
                }
                EventKind::ValueSep => items.extend(current.take()),
                EventKind::ArrayClose => {
                    items.extend(current.take());
                    break;
                }
                kind if skipped(kind) => {}
                // Reported by the grammar.
                _ => break,
            }
        }
        Value {
            span: open.span().start()..end,
            kind: Kind::Array(Array {
                items,
                of_tables: false,
            }),
        }
    }

    fn inline_table(&mut self, open: Event) -> Value {
        let mut table = Table {
            inline: true,
            ..Table::default()
        };
        let mut keys = None;
        let mut current = None;
        let mut end = open.span().end();
        while let Some(event) = self.bump() {
            end = event.span().end();
            match event.kind() {
                EventKind::SimpleKey => keys = self.key(event),
                EventKind::InlineTableOpen | EventKind::ArrayOpen | EventKind::Scalar => {
                    self.next -= 1;
                    current = Some(self.value());
                }
                EventKind::ValueSep | EventKind::InlineTableClose => {
                    if let (Some(keys), Some(value)) = (keys.take(), current.take()) {
                        self.key_value(&mut table, keys, value, true);
                    }
                    if event.kind() == EventKind::InlineTableClose {
                        break;
                    }
                }
                kind if kind == EventKind::KeyValSep || skipped(kind) => {}
                // Reported by the grammar.
                _ => break,
            }
        }
        Value {
            span: open.span().start()..end,
            kind: Kind::Table(table),
        }
    }
}

/// The document against `toml`'s own (`toml::de::DeTable`), the reference:
/// the same first error (message and place), or the same tables, keys,
/// spans and values.
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use toml::de::{DeTable, DeValue};

    /// A canonical text of a document, keys sorted, every span shown.
    fn ours(table: &Table, out: &mut String) {
        let mut entries: Vec<&(Key, Value)> = table.entries.iter().collect();
        entries.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        out.push('{');
        for (key, value) in entries {
            out.push_str(&format!("{:?}@{:?}=", key.name, key.span));
            our_value(value, out);
            out.push(',');
        }
        out.push('}');
    }

    fn our_value(value: &Value, out: &mut String) {
        out.push_str(&format!("{:?}:", value.span));
        match &value.kind {
            Kind::String(s) => out.push_str(&format!("s{s:?}")),
            Kind::Integer(digits, radix) => out.push_str(&format!("i{digits}/{radix}")),
            Kind::Float => out.push('f'),
            Kind::Boolean(b) => out.push_str(&format!("b{b}")),
            Kind::Datetime(_) => out.push('d'),
            Kind::Array(array) => {
                out.push('[');
                for item in &array.items {
                    our_value(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            Kind::Table(table) => ours(table, out),
        }
    }

    fn theirs(table: &DeTable<'_>, out: &mut String) {
        let mut entries: Vec<_> = table.iter().collect();
        entries.sort_by(|a, b| a.0.get_ref().cmp(b.0.get_ref()));
        out.push('{');
        for (key, value) in entries {
            out.push_str(&format!("{:?}@{:?}=", key.get_ref().as_ref(), key.span()));
            their_value(value, out);
            out.push(',');
        }
        out.push('}');
    }

    fn their_value(value: &toml::Spanned<DeValue<'_>>, out: &mut String) {
        out.push_str(&format!("{:?}:", value.span()));
        match value.get_ref() {
            DeValue::String(s) => out.push_str(&format!("s{:?}", s.as_ref())),
            DeValue::Integer(n) => out.push_str(&format!("i{}/{}", n.as_str(), n.radix())),
            DeValue::Float(_) => out.push('f'),
            DeValue::Boolean(b) => out.push_str(&format!("b{b}")),
            DeValue::Datetime(_) => out.push('d'),
            DeValue::Array(array) => {
                out.push('[');
                for item in array.iter() {
                    their_value(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            DeValue::Table(table) => theirs(table, out),
        }
    }

    /// Both parses of `text`, as comparable text. When both fail, the
    /// error reported must be one of those `toml` finds when it goes on
    /// after the first: the two may meet a file's problems in another
    /// order (`toml` checks an `[[array]]` header when its section ends).
    fn both(text: &str) -> (String, String) {
        let error = |message: &str, span: Option<Range<usize>>| {
            format!("error {:?} at {span:?}", message.trim_end())
        };
        let (mine, my_error) = match parse(text) {
            Ok(table) => {
                let mut out = String::new();
                ours(&table, &mut out);
                (out, None)
            }
            Err(e) => (error(&e.message, e.span.clone()), Some(e)),
        };
        let reference = match DeTable::parse(text) {
            Ok(table) => {
                let mut out = String::new();
                theirs(table.get_ref(), &mut out);
                out
            }
            Err(first) => {
                let (_, all) = DeTable::parse_recoverable(text);
                match my_error {
                    Some(mine)
                        if all.iter().any(|e| {
                            // Date-times are checked here, not by toml_datetime,
                            // which words some problems otherwise ("expected
                            // month" where a year has three digits): the
                            // same place and the same kind of problem.
                            let datetime = |m: &str| {
                                ["invalid date", "invalid time", "invalid offset"]
                                    .iter()
                                    .any(|p| m.starts_with(p))
                            };
                            e.span() == mine.span
                                && (e.message().trim_end() == mine.message.trim_end()
                                    || datetime(e.message()) && datetime(&mine.message))
                        }) =>
                    {
                        error(&mine.message, mine.span)
                    }
                    _ => error(first.message(), first.span()),
                }
            }
        };
        (mine, reference)
    }

    fn agree(text: &str) {
        let (mine, reference) = both(text);
        assert_eq!(mine, reference, "on:\n{text}");
    }

    /// Every TOML file of the repository and of the spec fuzzer's corpus,
    /// and prefixes of each (cut at 24 lines spread over the file, at the
    /// line's end and in its middle), so that the error paths are walked.
    #[test]
    fn agrees_with_toml_on_the_repositorys_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs = vec![root.clone()];
        let mut files = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    let skipped = ["target", "data", "fuzz"];
                    if !name.starts_with('.') && !skipped.contains(&name.as_str()) {
                        dirs.push(path);
                    }
                    continue;
                }
                let corpus = path
                    .parent()
                    .is_some_and(|p| p.ends_with("fuzz-corpus/spec"));
                // Tests leave a FIFO and a link to /dev/zero among the specs.
                let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
                if !regular || !(name.ends_with(".toml") || corpus) {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                files += 1;
                agree(&text);
                let ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
                let step = ends.len() / 24 + 1;
                for &end in ends.iter().step_by(step) {
                    agree(&text[..end]);
                    let start = text[..end].rfind('\n').map_or(0, |i| i + 1);
                    let mut mid = start + (end - start) / 2;
                    while !text.is_char_boundary(mid) {
                        mid -= 1;
                    }
                    agree(&text[..mid]);
                }
            }
        }
        assert!(files > 300, "only {files} TOML files found");
    }

    #[test]
    fn agrees_with_toml_on_the_table_rules() {
        for text in [
            "a = 1\na = 2",
            "[a]\n[a]",
            "[a.b]\n[a]\nx = 1",
            "[a.b]\n[a]\n[a.b]",
            "a.b = 1\n[a]",
            "a.b = 1\n[a.c]",
            "a.b = 1\na.c = 2\na = 3",
            "[a]\nb.c = 1\n[a.b]",
            "[a]\nb.c = 1\n[a.b.d]",
            "[[a]]\n[a]",
            "[a]\n[[a]]",
            "a = []\n[[a]]",
            "[[a]]\nx = 1\n[[a]]\nx = 2\n[a.b]\ny = 3\n[[a.c]]\n[[a.c]]",
            "[[a]]\n[a.b]\n[[a]]\n[a.b]",
            "a = {b = 1}\n[a]",
            "a = {b = 1}\n[a.c]",
            "a = {b = 1}\na.c = 2",
            "a = {b.c = 1, b.d = 2}",
            "a = {b.c = 1, b = 2}",
            "a = {b = {c = 1}, b.d = 2}",
            "a = {b = 1, b = 2}",
            "a = [1, {b = 2}]\na.c = 3",
            "a = 1\na.b = 2",
            "a = 1979-05-27\na.b = 2",
            "[a]\nb = 1\n[a.b.c]",
            "x.y.z = 1\n[x.y]",
            "x.y.z = 1\n[x]",
            "[x.y.z]\n[x.y]\n[x]\n[x.y.w]",
            "'a.b' = 1\n\"a\".b = 2\na . c = 3",
            "[ a . b ]\n[ a ]",
            "a = [[1, 2], [3]]\nb = [ ]\nc = {}\n",
            "a = 0x1F\nb = 0o17\nc = 0b101\nd = -17\ne = +3\nf = 1_000\ng = 1.5\nh = inf\ni = true",
            "a = \"\\u00e9\\n\"\nb = '''x\ny'''\nc = \"\"\"\\\n  z\"\"\"",
            "a = 1979-05-27T07:32:00Z\nb = 07:32:00\nc = 1979-05-27 07:32:00",
            "[a]\nb = 1\n[[a.c]]\nd = 2\n[a.c.e]\nf = 3",
            "[[a.b]]\n[a]\nb.c = 1",
            "[[a.b]]\n[a]\nb = 1",
            "a = 1979-13-01",
            "a = 1979-02-29",
            "a = 2000-02-29",
            "a = 1900-02-29",
            "a = 1979-04-31",
            "a = 25:00:00",
            "a = 07:60:00",
            "a = 07:32:61",
            "a = 07:32",
            "a = 07:32:00.999999999999",
            "a = 1979-05-27T07:32Z",
            "a = 1979-05-27t07:32:00z",
            "a = 1979-05-27T07:32:00+25:00",
            "a = 1979-05-27T07:32:00-07:61",
            "a = 1979-05-27T07:32:00+07",
            "a = 1979-05-27 07:32:00.",
            "a = 1979-5-27",
            "a = 0:20t",
            "a = 1979-05-27T",
        ] {
            agree(text);
        }
    }

    /// Small random documents of headers, dotted keys, inline tables and
    /// arrays over a few names, so that names collide often.
    fn document() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec!["a", "b", "c", "'a'", "\"b\""]);
        let path = prop::collection::vec(key, 1..4).prop_map(|k| k.join("."));
        let scalar = prop::sample::select(vec![
            "1",
            "\"s\"",
            "true",
            "1.5",
            "1979-05-27",
            "1979-02-30",
            "07:32:00",
            "1979-05-27T07:32:00.5-07:00",
            "0x10",
        ]);
        let value = prop_oneof![
            scalar.clone().prop_map(str::to_string),
            prop::collection::vec(scalar.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
            (path.clone(), scalar.clone(), path.clone(), scalar)
                .prop_map(|(k1, v1, k2, v2)| format!("{{{k1} = {v1}, {k2} = {v2}}}")),
        ];
        let line = prop_oneof![
            path.clone().prop_map(|p| format!("[{p}]")),
            path.clone().prop_map(|p| format!("[[{p}]]")),
            (path, value).prop_map(|(p, v)| format!("{p} = {v}")),
        ];
        prop::collection::vec(line, 1..8).prop_map(|lines| lines.join("\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn agrees_with_toml_on_random_documents(text in document()) {
            let (mine, reference) = both(&text);
            prop_assert_eq!(mine, reference, "on:\n{}", text);
        }
    }
}
