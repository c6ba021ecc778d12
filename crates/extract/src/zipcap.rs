//! Capped access to ZIP containers (DOCX, XLSX, EPUB), plus the small XML helpers their readers
//! share.
//!
//! A ZIP entry's declared size is written by whoever made the file, so it proves nothing: every
//! read here counts the bytes that actually come out of the decompressor and stops one byte past
//! the budget. The budget (`max_decompressed_bytes`) covers each entry and the whole container
//! together, so neither one huge entry nor many moderate ones can exhaust memory.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use zip::ZipArchive;
use zip::result::ZipError;

use crate::{ExtractError, ExtractOptions};

/// Entries larger than this are not preallocated in full even when their declared size says so:
/// the declared size may lie, and the vector grows on demand anyway.
const MAX_PREALLOC: u64 = 16 * 1024 * 1024;

/// An open ZIP container whose reads share one decompression budget.
pub(crate) struct ZipCap<R> {
    archive: ZipArchive<R>,
    /// Format name for error messages (`docx`, `xlsx`, `epub`).
    format: &'static str,
    /// Configured budget, reported in [`ExtractError::ZipBomb`].
    limit: u64,
    /// Bytes decompressed so far from this container.
    used: u64,
}

impl ZipCap<BufReader<File>> {
    /// Opens `path` as a ZIP container holding a `format` document.
    pub(crate) fn open(path: &Path, format: &'static str, opts: &ExtractOptions) -> Result<Self, ExtractError> {
        let mut file = File::open(path).map_err(|e| ExtractError::io(path, e))?;
        let mut magic = [0u8; 8];
        let n = read_up_to(&mut file, &mut magic).map_err(|e| ExtractError::io(path, e))?;
        if magic[..n].starts_with(CFB_MAGIC) {
            // Only password-protected OOXML (and legacy binary Office files) look like this;
            // reading the whole file is fine, its size was checked before we got here.
            let bytes = std::fs::read(path).map_err(|e| ExtractError::io(path, e))?;
            return Err(check_container(&bytes, format)
                .err()
                .unwrap_or_else(|| corrupt(format, "unexpected compound file".into())));
        }
        check_magic(&magic[..n], format)?;
        file.rewind().map_err(|e| ExtractError::io(path, e))?;
        Self::new(BufReader::new(file), format, opts)
    }
}

impl<R: Read + Seek> ZipCap<R> {
    /// Wraps an already opened reader (used for in-memory containers).
    pub(crate) fn new(reader: R, format: &'static str, opts: &ExtractOptions) -> Result<Self, ExtractError> {
        let archive = ZipArchive::new(reader).map_err(|e| match e {
            ZipError::Io(io) => corrupt(format, format!("cannot read zip archive: {io}")),
            other => corrupt(format, format!("damaged zip archive: {}", one_line(&other))),
        })?;
        Ok(ZipCap { archive, format, limit: opts.max_decompressed_bytes, used: 0 })
    }

    /// Name of the entry called `name`, compared exactly first, then ignoring ASCII case (some
    /// tools write `[Content_Types].xml` or `Word/Document.xml` with odd casing).
    pub(crate) fn find(&self, name: &str) -> Option<String> {
        let name = name.trim_start_matches('/');
        if self.archive.index_for_name(name).is_some() {
            return Some(name.to_owned());
        }
        self.archive.file_names().filter_map(Result::ok).find(|n| n.eq_ignore_ascii_case(name)).map(Cow::into_owned)
    }

    /// The first entry whose name ends with `suffix` (ASCII case ignored).
    pub(crate) fn find_by_suffix(&self, suffix: &str) -> Option<String> {
        let suffix = suffix.to_ascii_lowercase();
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .find(|n| n.to_ascii_lowercase().ends_with(&suffix))
            .map(Cow::into_owned)
    }

    /// Reads the entry `name`, or `None` when the container has no such entry.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let Some(found) = self.find(name) else {
            return Ok(None);
        };
        let Some(index) = self.archive.index_for_name(&found) else {
            return Ok(None);
        };
        self.read_index(index, &found).map(Some)
    }

    /// Reads the entry `name`, which the format requires.
    pub(crate) fn read_required(&mut self, name: &str) -> Result<Vec<u8>, ExtractError> {
        self.read(name)?.ok_or_else(|| corrupt(self.format, format!("missing required part '{name}'")))
    }

    /// Opens the entry `name` for streaming, or `None` when the container has no such entry.
    ///
    /// The bytes read count against the container's budget as they come out of the
    /// decompressor (past it the reader fails and [`ZipCap::exceeded`] turns true), and a run of
    /// more than `max_run` bytes without a `<` (one text node or tag) ends the stream, so an XML
    /// reader on top never buffers more than that for one event.
    pub(crate) fn stream(&mut self, name: &str, max_run: usize) -> Result<Option<Streamed<'_, R>>, ExtractError> {
        let Some(found) = self.find(name) else {
            return Ok(None);
        };
        let Some(index) = self.archive.index_for_name(&found) else {
            return Ok(None);
        };
        let format = self.format;
        let remaining = self.limit.saturating_sub(self.used);
        let entry = self.archive.by_index(index).map_err(|e| entry_error(format, e))?;
        if entry.size() > remaining {
            return Err(ExtractError::ZipBomb { limit: self.limit });
        }
        Ok(Some(Streamed { entry, used: &mut self.used, limit: self.limit, run: 0, max_run }))
    }

    /// Whether a streamed entry ran past the decompression budget.
    pub(crate) fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    /// The configured decompression budget.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// Decompresses every entry without keeping it, so that a container handed to a library
    /// that reads it on its own (calamine) is known to stay within the budget first.
    pub(crate) fn check_all(&mut self) -> Result<(), ExtractError> {
        for index in 0..self.archive.len() {
            let limit = self.limit;
            let remaining = limit.saturating_sub(self.used);
            let format = self.format;
            let mut entry = self.archive.by_index(index).map_err(|e| entry_error(format, e))?;
            if entry.is_dir() {
                continue;
            }
            if entry.size() > remaining {
                return Err(ExtractError::ZipBomb { limit });
            }
            let name = entry.name().map(Cow::into_owned).unwrap_or_default();
            let mut capped = (&mut entry).take(remaining.saturating_add(1));
            let copied =
                std::io::copy(&mut capped, &mut std::io::sink()).map_err(|e| read_error(format, &name, limit, &e))?;
            if copied > remaining {
                return Err(ExtractError::ZipBomb { limit });
            }
            self.used += copied;
        }
        Ok(())
    }

    fn read_index(&mut self, index: usize, name: &str) -> Result<Vec<u8>, ExtractError> {
        let limit = self.limit;
        let remaining = limit.saturating_sub(self.used);
        let format = self.format;
        let entry = self.archive.by_index(index).map_err(|e| entry_error(format, e))?;
        // A declared size over the budget is refused without decompressing anything; a declared
        // size under it is only a hint, the `take` below is what enforces the budget.
        if entry.size() > remaining {
            return Err(ExtractError::ZipBomb { limit });
        }
        let mut buf = Vec::with_capacity(usize::try_from(entry.size().min(MAX_PREALLOC)).unwrap_or(0));
        entry
            .take(remaining.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| read_error(format, name, limit, &e))?;
        let got = buf.len() as u64;
        if got > remaining {
            return Err(ExtractError::ZipBomb { limit });
        }
        self.used += got;
        Ok(buf)
    }
}

/// A ZIP entry being read as a stream; see [`ZipCap::stream`].
pub(crate) struct Streamed<'a, R: Read> {
    entry: zip::read::ZipFile<'a, R>,
    used: &'a mut u64,
    limit: u64,
    /// Bytes since the last `<`.
    run: usize,
    max_run: usize,
}

impl<R: Read> Read for Streamed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.run > self.max_run {
            return Ok(0);
        }
        let n = match self.entry.read(buf) {
            Ok(n) => n,
            Err(e) => {
                if matches!(read_error("", "", self.limit, &e), ExtractError::ZipBomb { .. }) {
                    // An entry inflating past its declared size is a forged archive.
                    *self.used = self.limit.saturating_add(1);
                }
                return Err(e);
            }
        };
        *self.used += n as u64;
        if *self.used > self.limit {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "decompression budget exceeded"));
        }
        match buf[..n].iter().rposition(|&b| b == b'<') {
            Some(i) => self.run = n - i - 1,
            None => self.run += n,
        }
        Ok(n)
    }
}

/// Reads into `buf` until it is full or the reader ends; returns how many bytes were read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Signature of an OLE compound file: legacy `.doc`/`.xls`, and also the envelope Office puts
/// around a password-protected `.docx`/`.xlsx`.
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Checks a whole container held in memory: an encrypted Office envelope is reported as such,
/// anything else that is not a ZIP as wrong content.
pub(crate) fn check_container(bytes: &[u8], format: &'static str) -> Result<(), ExtractError> {
    if bytes.starts_with(CFB_MAGIC) {
        // The envelope holds a stream named "EncryptedPackage" (UTF-16LE in the directory).
        let name: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
        if bytes.windows(name.len()).any(|w| w == name.as_slice()) {
            return Err(ExtractError::Encrypted { format });
        }
        return Err(ExtractError::WrongContent {
            expected: format,
            detail: "not a ZIP archive (an OLE compound file, e.g. a legacy .doc or .xls)".into(),
        });
    }
    check_magic(bytes, format)
}

/// Tells a file that is not a ZIP at all (wrong content) from a damaged one (corrupt).
pub(crate) fn check_magic(head: &[u8], format: &'static str) -> Result<(), ExtractError> {
    // Local file header, empty archive, and spanned-archive markers all start with `PK`.
    const SIGNATURES: [&[u8]; 3] = [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"];
    if SIGNATURES.iter().any(|sig| head.starts_with(sig)) {
        Ok(())
    } else {
        Err(ExtractError::WrongContent { expected: format, detail: "not a ZIP archive".into() })
    }
}

/// An error while decompressing an entry. The zip crate itself stops an entry that inflates past
/// its declared size; that is a forged archive, reported like any other zip bomb.
pub(crate) fn read_error(format: &'static str, name: &str, limit: u64, e: &std::io::Error) -> ExtractError {
    if e.kind() == std::io::ErrorKind::InvalidData && e.to_string().contains("larger than its declared") {
        return ExtractError::ZipBomb { limit };
    }
    corrupt(format, format!("cannot read '{name}': {}", one_line(e)))
}

fn entry_error(format: &'static str, e: ZipError) -> ExtractError {
    match e {
        ZipError::UnsupportedArchive(msg) if msg == ZipError::PASSWORD_REQUIRED => ExtractError::Encrypted { format },
        ZipError::InvalidPassword => ExtractError::Encrypted { format },
        ZipError::CompressionMethodNotSupported(m) => {
            corrupt(format, format!("unsupported zip compression method {m}"))
        }
        other => corrupt(format, format!("damaged zip entry: {}", one_line(&other))),
    }
}

pub(crate) fn corrupt(format: &'static str, detail: String) -> ExtractError {
    ExtractError::Corrupt { format, detail }
}

/// A library's error message as one line starting lowercase, to fit the one-line reason rule.
pub(crate) fn one_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = flat.chars();
    match chars.next() {
        Some(first) if first.is_uppercase() && !chars.next().is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(flat.chars().skip(1)).collect()
        }
        _ => flat,
    }
}

// ---------------------------------------------------------------------------------------------
// XML helpers shared by the DOCX, XLSX-metadata and EPUB readers.
// ---------------------------------------------------------------------------------------------

/// Decodes an XML part to a string: a BOM wins, then the `encoding` of the XML declaration, then
/// UTF-8. Invalid bytes become U+FFFD rather than failing the whole document.
pub(crate) fn xml_to_string(bytes: Vec<u8>) -> String {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(&bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return text.into_owned();
    }
    if let Some(label) = declared_encoding(&bytes)
        && let Some(enc) = encoding_rs::Encoding::for_label(label.as_bytes())
        && enc != encoding_rs::UTF_8
    {
        // `for_label` maps "utf-16" to UTF-16LE, but without a BOM the declaration cannot be
        // honoured reliably; such parts are read as UTF-8 below, which fails loudly (U+FFFD).
        if enc != encoding_rs::UTF_16LE && enc != encoding_rs::UTF_16BE {
            let (text, _) = enc.decode_without_bom_handling(&bytes);
            return text.into_owned();
        }
    }
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Whether an XML part starting with `head` must be decoded to UTF-8 before parsing (a UTF-16
/// byte-order mark, or a declared encoding other than UTF-8), rather than streamed as it is.
pub(crate) fn needs_transcoding(head: &[u8]) -> bool {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(head) {
        return enc != encoding_rs::UTF_8;
    }
    declared_encoding(head)
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .is_some_and(|enc| enc != encoding_rs::UTF_8)
}

/// The `encoding="…"` value of an XML declaration at the start of `bytes`, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let close = value.find(quote)?;
    Some(value[..close].to_owned())
}

/// The part of a qualified XML name after its prefix (`w:p` → `p`).
pub(crate) fn local(name: &str) -> &str {
    match name.rfind(':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The unescaped value of the attribute whose local name is `key` (prefix ignored).
pub(crate) fn attr(e: &quick_xml::events::BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().with_checks(false).filter_map(Result::ok).find(|a| local(a.key.as_ref()) == key).map(|a| {
        match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            Ok(v) => v.into_owned(),
            // An unknown entity in a value: keep the raw text rather than lose the attribute.
            Err(_) => a.value.into_owned(),
        }
    })
}

/// The text an entity or character reference stands for. XML's five entities and numeric
/// references always resolve; a handful of common XHTML entities (EPUB chapters declare the XHTML
/// DTD) resolve too. Anything else yields `None` and is dropped by the caller.
pub(crate) fn resolve_entity(name: &str) -> Option<Cow<'static, str>> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0').map(|c| Cow::Owned(c.to_string()));
    }
    let s = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        "nbsp" => "\u{a0}",
        "shy" => "\u{ad}",
        "ensp" => "\u{2002}",
        "emsp" => "\u{2003}",
        "thinsp" => "\u{2009}",
        "ndash" => "–",
        "mdash" => "—",
        "hellip" => "…",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "bull" => "•",
        "middot" => "·",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "sect" => "§",
        "para" => "¶",
        "dagger" => "†",
        "Dagger" => "‡",
        "times" => "×",
        "divide" => "÷",
        "plusmn" => "±",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "pound" => "£",
        "euro" => "€",
        "yen" => "¥",
        "cent" => "¢",
        "iexcl" => "¡",
        "iquest" => "¿",
        "agrave" => "à",
        "aacute" => "á",
        "acirc" => "â",
        "atilde" => "ã",
        "auml" => "ä",
        "aring" => "å",
        "aelig" => "æ",
        "ccedil" => "ç",
        "egrave" => "è",
        "eacute" => "é",
        "ecirc" => "ê",
        "euml" => "ë",
        "igrave" => "ì",
        "iacute" => "í",
        "icirc" => "î",
        "iuml" => "ï",
        "ntilde" => "ñ",
        "ograve" => "ò",
        "oacute" => "ó",
        "ocirc" => "ô",
        "otilde" => "õ",
        "ouml" => "ö",
        "oslash" => "ø",
        "ugrave" => "ù",
        "uacute" => "ú",
        "ucirc" => "û",
        "uuml" => "ü",
        "szlig" => "ß",
        "Agrave" => "À",
        "Aacute" => "Á",
        "Eacute" => "É",
        "Egrave" => "È",
        "Ccedil" => "Ç",
        "Ntilde" => "Ñ",
        "Ouml" => "Ö",
        "Uuml" => "Ü",
        "Auml" => "Ä",
        _ => return None,
    };
    Some(Cow::Borrowed(s))
}

/// Decodes `%XX` escapes in a URL path (EPUB hrefs); malformed escapes are kept as written.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Resolves `href` (relative, possibly with `..`, a `#fragment` or `?query`) against the
/// directory `base_dir` of a container path, giving a container path without a leading slash.
pub(crate) fn resolve_href(base_dir: &str, href: &str) -> String {
    let href = href.split(['#', '?']).next().unwrap_or_default();
    let href = percent_decode(href);
    let mut parts: Vec<&str> = Vec::new();
    let joined;
    let full = if let Some(abs) = href.strip_prefix('/') {
        abs
    } else {
        joined = if base_dir.is_empty() { href.clone() } else { format!("{base_dir}/{href}") };
        joined.as_str()
    };
    for part in full.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The directory part of a container path (`OEBPS/content.opf` → `OEBPS`).
pub(crate) fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_resolve_against_the_base_directory() {
        assert_eq!(resolve_href("OEBPS", "Text/ch%201.xhtml#top"), "OEBPS/Text/ch 1.xhtml");
        assert_eq!(resolve_href("OEBPS/Text", "../Images/a.png"), "OEBPS/Images/a.png");
        assert_eq!(resolve_href("", "ch1.xhtml"), "ch1.xhtml");
        assert_eq!(resolve_href("a/b", "/root.xhtml"), "root.xhtml");
        assert_eq!(resolve_href("a", "../../x"), "x");
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn xml_encodings_are_honoured() {
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "<a>é</a>".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(xml_to_string(utf16), "<a>é</a>");
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xE9</a>".to_vec();
        assert!(xml_to_string(latin1).ends_with("<a>é</a>"));
    }

    #[test]
    fn entities_resolve() {
        assert_eq!(resolve_entity("#x41").as_deref(), Some("A"));
        assert_eq!(resolve_entity("#233").as_deref(), Some("é"));
        assert_eq!(resolve_entity("nbsp").as_deref(), Some("\u{a0}"));
        assert_eq!(resolve_entity("#0"), None);
        assert_eq!(resolve_entity("bogus"), None);
    }

    #[test]
    fn library_messages_become_one_lowercase_line() {
        assert_eq!(one_line(&"Could not\nfind EOCD"), "could not find EOCD");
        assert_eq!(one_line(&"EOCD missing"), "EOCD missing");
    }
}
