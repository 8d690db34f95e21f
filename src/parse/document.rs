//! Containers of records: JSON lines, JSON arrays, CloudTrail `{"Records":[...]}` batches
//! and single (pretty-printed) objects.
//!
//! Splitting uses a small structural scanner (strings, escapes, nesting) that finds where
//! each record starts and ends without building anything; each record is then validated by
//! the record parser. It is iterative, so deep nesting cannot exhaust the stack.

use super::ParseError;
use memchr::{memchr, memchr2};

/// How a file holds its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One JSON value per line (a line may be a `{"Records":[...]}` batch, see
    /// [`expand_line`]).
    JsonLines,
    /// One JSON document: an array of records, a `{"Records":[...]}` object or a single
    /// (possibly pretty-printed) record, see [`split_document`].
    Document,
    /// Linux auditd text lines (`type=...` / `node=...`), read line by line; their events
    /// span lines, so such files are never cut into chunks.
    AuditLines,
}

/// Guesses the layout from the first bytes of a file (after any decompression).
///
/// The first non-whitespace byte `[` means [`Layout::Document`]; `{` whose first line holds
/// one complete JSON value means [`Layout::JsonLines`]; anything else (a multi-line object,
/// a first line cut off by the end of `head`, other bytes) means [`Layout::Document`],
/// except a first line starting `type=` or `node=`: [`Layout::AuditLines`].
/// Empty or whitespace-only input is [`Layout::JsonLines`] (it holds no record either way).
/// A UTF-8 byte order mark is skipped.
pub fn detect_layout(head: &[u8]) -> Layout {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = skip_ws(head, 0);
    match head.get(start) {
        None => Layout::JsonLines,
        Some(b'{') => {
            let line_end = memchr(b'\n', &head[start..]).map_or(head.len(), |i| start + i);
            let line = &head[..line_end];
            match value_end(line, start) {
                Ok(end) if skip_ws(line, end) == line.len() => Layout::JsonLines,
                _ => Layout::Document,
            }
        }
        Some(_) if super::auditd::is_auditd_line(&head[start..]) => Layout::AuditLines,
        Some(_) => Layout::Document,
    }
}

/// Calls `f(offset, record)` for every record of a whole JSON document, in order, where
/// `offset` is the record's byte offset in `doc`.
///
/// The document is a sequence of top-level values (normally one), each of which is an array
/// of records, a CloudTrail `{"Records":[...]}` object, or a single record object (an
/// EventBridge envelope included). Elements are handed out as they are; whether they are
/// valid records is the parser's business. Stops at the first structural error (unbalanced
/// brackets, unterminated string, a top-level scalar) with [`ParseError::Json`], after
/// every record before it was handed out.
pub fn split_document(doc: &[u8], mut f: impl FnMut(u64, &[u8])) -> Result<(), ParseError> {
    let mut i = skip_ws(doc, 0);
    if doc[i..].starts_with(b"\xEF\xBB\xBF") {
        i = skip_ws(doc, i + 3);
    }
    while i < doc.len() {
        match doc[i] {
            b'[' => i = for_each_element(doc, i, &mut f)?,
            b'{' => {
                let end = value_end(doc, i)?;
                match records_array(doc, i, end)? {
                    Some(arr) => {
                        for_each_element(doc, arr, &mut f)?;
                    }
                    None => f(i as u64, &doc[i..end]),
                }
                i = end;
            }
            _ => return Err(syntax("expected an object or an array", i)),
        }
        i = skip_ws(doc, i);
    }
    Ok(())
}

/// Calls `f(record)` for each record of one JSON line: the elements of a CloudTrail
/// `{"Records":[...]}` batch, or the line itself.
///
/// Readers of JSON lines call this on every non-empty line (see [`expand_line_at`] for the
/// records' offsets in the line). The line is only scanned when it contains `"Records"`.
pub fn expand_line(line: &[u8], mut f: impl FnMut(&[u8])) -> Result<(), ParseError> {
    expand_line_at(line, |_, rec| f(rec))
}

/// The key of a CloudTrail batch, searched for in every line: built once, since building a
/// searcher per line showed up in profiles of the features run.
static RECORDS_KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"Records\""));

/// [`expand_line`], also passing each record's byte offset within the line.
pub fn expand_line_at(line: &[u8], mut f: impl FnMut(u64, &[u8])) -> Result<(), ParseError> {
    let start = skip_ws(line, 0);
    if line.get(start) == Some(&b'{') && RECORDS_KEY.find(line).is_some() {
        let end = value_end(line, start)?;
        if let Some(arr) = records_array(line, start, end)? {
            for_each_element(line, arr, &mut f)?;
            return Ok(());
        }
    }
    f(0, line);
    Ok(())
}

/// The deepest nesting of objects and arrays in `b` (brackets inside strings ignored), or
/// `None` when an unterminated string makes it unknowable.
pub(crate) fn max_depth(b: &[u8]) -> Option<usize> {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(b, i).ok()?;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Some(max)
}

fn syntax(what: &str, at: usize) -> ParseError {
    ParseError::Json(format!("{what} at byte {at}"))
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The index just past the string starting at `b[i] == '"'`.
fn string_end(b: &[u8], i: usize) -> Result<usize, ParseError> {
    let mut j = i + 1;
    loop {
        match memchr2(b'"', b'\\', &b[j.min(b.len())..]) {
            Some(k) if b[j + k] == b'"' => return Ok(j + k + 1),
            Some(k) => j += k + 2,
            None => return Err(syntax("unterminated string", i)),
        }
    }
}

/// The index just past the JSON value starting at `b[i]` (structure only).
fn value_end(b: &[u8], i: usize) -> Result<usize, ParseError> {
    match b.get(i) {
        None => Err(syntax("unexpected end of input", i)),
        Some(b'"') => string_end(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err(syntax("unterminated object or array", i))
        }
        Some(_) => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            Ok(j)
        }
    }
}

/// If the object `b[start..end]` has a top-level `"Records"` key holding an array, the
/// index of that array's `[`.
fn records_array(b: &[u8], start: usize, end: usize) -> Result<Option<usize>, ParseError> {
    let obj = &b[..end];
    let mut i = skip_ws(obj, start + 1);
    while i < end && obj[i] == b'"' {
        let key_end = string_end(obj, i)?;
        let key = &obj[i + 1..key_end - 1];
        i = skip_ws(obj, key_end);
        if obj.get(i) != Some(&b':') {
            return Err(syntax("expected ':'", i));
        }
        i = skip_ws(obj, i + 1);
        if key == b"Records" && obj.get(i) == Some(&b'[') {
            return Ok(Some(i));
        }
        i = skip_ws(obj, value_end(obj, i)?);
        if obj.get(i) == Some(&b',') {
            i = skip_ws(obj, i + 1);
        }
    }
    Ok(None)
}

/// Calls `f` on each element of the array at `b[i] == '['`; returns the index past it.
fn for_each_element(
    b: &[u8],
    i: usize,
    f: &mut impl FnMut(u64, &[u8]),
) -> Result<usize, ParseError> {
    let mut j = skip_ws(b, i + 1);
    if b.get(j) == Some(&b']') {
        return Ok(j + 1);
    }
    loop {
        let end = value_end(b, j)?;
        if end == j {
            return Err(syntax("expected a value", j));
        }
        f(j as u64, &b[j..end]);
        j = skip_ws(b, end);
        match b.get(j) {
            Some(b',') => j = skip_ws(b, j + 1),
            Some(b']') => return Ok(j + 1),
            _ => return Err(syntax("expected ',' or ']'", j)),
        }
    }
}
