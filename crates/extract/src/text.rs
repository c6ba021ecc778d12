//! Plain text in any common encoding, and the decoding/cleaning helpers the other text-like
//! readers (Markdown, HTML, CSV) share.
//!
//! Decoding order: a byte-order mark wins; then valid UTF-8; then BOM-less UTF-16 (recognised by
//! the pattern of zero bytes); then a statistical guess (chardetng) decoded with encoding_rs,
//! which covers Latin-1/cp1252 and the other legacy single- and multi-byte encodings. Binary data
//! is refused before any of that so that a PNG renamed `.txt` is not indexed as mojibake.

use std::borrow::Cow;
use std::path::Path;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

use crate::{Document, ExtractError, ExtractOptions, Format, Location, Segment};

/// How many leading bytes the binary sniffing looks at. Enough to see past a short text header,
/// small enough to stay constant-time on huge files.
const SNIFF_BYTES: usize = 8192;

/// Reads a plain-text file into one [`Location::Whole`] segment.
pub(crate) fn extract(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let head = read_text_head(path, opts.max_text_bytes, "text")?;
    let text = decode(&head.bytes)?;
    let mut doc = whole_document(Format::Text, text)?;
    if head.truncated {
        doc.warnings.push(crate::truncation_note(opts.max_text_bytes));
    }
    Ok(doc)
}

/// The start of a text-like file, as much of it as the text budget allows.
pub(crate) struct TextHead {
    /// The bytes read, cut after the last line break when the file was longer.
    pub bytes: Vec<u8>,
    /// Whether the file went on past `bytes`.
    pub truncated: bool,
}

/// Reads a text-like file (plain text, Markdown, HTML) without ever holding more than `limit`
/// bytes of it: its first [`SNIFF_BYTES`] are checked for binary content before anything else is
/// read, so a large binary file renamed `.txt` costs one small read, and a longer text file is
/// cut after the last line break within the limit (never inside a UTF-8 or UTF-16 sequence).
pub(crate) fn read_text_head(path: &Path, limit: usize, expected: &'static str) -> Result<TextHead, ExtractError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| ExtractError::io(path, e))?;
    let mut reader = file.take(limit as u64 + 1);
    let mut bytes = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader).take(SNIFF_BYTES as u64).read_to_end(&mut bytes).map_err(|e| ExtractError::io(path, e))?;
    let utf16 = match Encoding::for_bom(&bytes) {
        Some((enc, _)) => enc == UTF_16LE || enc == UTF_16BE,
        None => match sniff(&bytes) {
            Sniffed::Binary(detail) => return Err(ExtractError::WrongContent { expected, detail }),
            Sniffed::Utf16(_) => true,
            Sniffed::Bytes => false,
        },
    };
    reader.read_to_end(&mut bytes).map_err(|e| ExtractError::io(path, e))?;
    let truncated = bytes.len() > limit;
    if truncated {
        bytes.truncate(limit);
        let cut = if utf16 {
            // The last UTF-16 newline (either byte order), keeping the code unit whole.
            bytes.chunks_exact(2).rposition(|u| u == b"\n\0" || u == b"\0\n").map(|i| 2 * i + 2)
        } else {
            bytes.iter().rposition(|&b| b == b'\n').map(|i| i + 1)
        };
        let fallback = if utf16 { limit & !1 } else { limit };
        bytes.truncate(cut.unwrap_or(fallback));
        if !utf16 {
            // Without a line break, back off to the start of a UTF-8 sequence at least.
            while bytes.last().is_some_and(|b| b & 0xC0 == 0x80) {
                bytes.pop();
            }
        }
    }
    Ok(TextHead { bytes, truncated })
}

/// Wraps already-decoded text as a one-segment document; refuses text that is only whitespace.
pub(crate) fn whole_document(format: Format, text: String) -> Result<Document, ExtractError> {
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len();
    if start >= end {
        return Err(ExtractError::NoText("file contains only whitespace".into()));
    }
    Ok(Document {
        ocr: Vec::new(),
        format,
        title: None,
        card: crate::card::build(&crate::card::Meta::default(), crate::card::leading_text(&text[start..end])),
        segments: vec![Segment { bytes: start..end, location: Location::Whole, ocr_confidence: None }],
        text,
        pages: None,
        tables: Vec::new(),
        warnings: Vec::new(),
    })
}

/// Decodes text bytes in any common encoding to clean UTF-8 (see [`normalize`]); binary data is
/// a [`ExtractError::WrongContent`] error that names the claimed format as "text".
pub(crate) fn decode(bytes: &[u8]) -> Result<String, ExtractError> {
    decode_for(bytes, "text")
}

/// [`decode`], naming `expected` (e.g. "markdown") in the error when the bytes are binary.
pub(crate) fn decode_for(bytes: &[u8], expected: &'static str) -> Result<String, ExtractError> {
    decode_with_hint(bytes, None, expected)
}

/// [`decode_for`] with an encoding the container declared (an HTML `<meta charset>`): a BOM still
/// wins over the declaration, as browsers do; without a declaration the encoding is detected.
pub(crate) fn decode_with_hint(
    bytes: &[u8],
    declared: Option<&'static Encoding>,
    expected: &'static str,
) -> Result<String, ExtractError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(normalize(text.into_owned()));
    }
    let encoding = match sniff(bytes) {
        Sniffed::Binary(detail) => {
            return Err(ExtractError::WrongContent { expected, detail });
        }
        Sniffed::Utf16(encoding) => encoding,
        // Valid UTF-8 beats a declaration: non-ASCII legacy text is almost never valid UTF-8 by
        // accident, while pages whose template declares the wrong charset are common. A
        // declaration of UTF-8 or UTF-16 on bytes that are not is wrong, so detect instead.
        Sniffed::Bytes if std::str::from_utf8(bytes).is_ok() => UTF_8,
        Sniffed::Bytes => match declared {
            Some(enc) if enc != UTF_8 && enc != UTF_16LE && enc != UTF_16BE => enc,
            _ => guess(bytes),
        },
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Ok(normalize(text.into_owned()))
}

/// The statistically most likely legacy encoding of non-UTF-8 bytes.
fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// What the first bytes of a file look like.
enum Sniffed {
    /// Not text; the reason, for the error message.
    Binary(String),
    /// BOM-less UTF-16 of this byte order.
    Utf16(&'static Encoding),
    /// Byte-oriented text (UTF-8 or a legacy encoding).
    Bytes,
}

/// Well-known file signatures, so the error can say what the file really is.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"\x1f\x8b", "gzip"),
    (b"\x7fELF", "ELF executable"),
    (b"SQLite format 3\0", "SQLite"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE/legacy Office"),
];

/// The kind of file a well-known signature at the start of `bytes` announces.
pub(crate) fn signature(bytes: &[u8]) -> Option<&'static str> {
    if let Some((_, name)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Some(name);
    }
    // WebP's signature has a size field in the middle.
    (bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP").then_some("WebP")
}

/// Cheap binary detection on the first [`SNIFF_BYTES`]: a known signature, NUL bytes that are not
/// UTF-16's zero high bytes, or a high share of control characters.
fn sniff(bytes: &[u8]) -> Sniffed {
    if let Some(name) = signature(bytes) {
        return Sniffed::Binary(format!("binary data (looks like {name})"));
    }
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let (mut nul_even, mut nul_odd, mut control) = (0usize, 0usize, 0usize);
    for (i, &b) in sample.iter().enumerate() {
        if b == 0 {
            if i % 2 == 0 {
                nul_even += 1;
            } else {
                nul_odd += 1;
            }
        } else if is_binary_control(b) {
            control += 1;
        }
    }
    if nul_even + nul_odd > 0 {
        // Mostly-Latin UTF-16 has a zero in nearly every other byte and few in the others (a
        // CJK character such as U+4E00 puts its zero on the other side).
        let pairs = sample.len() / 2;
        if pairs > 0 && nul_even * 10 >= pairs * 3 && nul_odd * 10 <= nul_even {
            return Sniffed::Utf16(UTF_16BE);
        }
        if pairs > 0 && nul_odd * 10 >= pairs * 3 && nul_even * 10 <= nul_odd {
            return Sniffed::Utf16(UTF_16LE);
        }
        return Sniffed::Binary("binary data (contains NUL bytes)".into());
    }
    // Text uses a handful of control characters (tab, newlines, form feed, ANSI escapes); more
    // than a few percent of the others means it is not text.
    if control * 20 > sample.len() {
        return Sniffed::Binary("binary data (many control characters)".into());
    }
    Sniffed::Bytes
}

/// A C0 control byte that does not occur in text files.
fn is_binary_control(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)
}

/// Cleans decoded text so every reader hands the index the same shape: `\r\n` and lone `\r`
/// become `\n`, a leading BOM is dropped, and control characters other than tab, newline and
/// form feed (which break JSON, terminals and tokenizers) become spaces. Allocates only when
/// something changes.
pub(crate) fn normalize(text: String) -> String {
    match normalize_str(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(cleaned) => cleaned,
    }
}

/// Borrowing form of [`normalize`].
pub(crate) fn normalize_str(text: &str) -> Cow<'_, str> {
    let needs_work = text.starts_with('\u{feff}') || text.chars().any(needs_replacing);
    if !needs_work {
        return Cow::Borrowed(text);
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c if needs_replacing(c) => out.push(' '),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// True for characters [`normalize`] rewrites.
fn needs_replacing(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\u{c}')
}

/// A metadata or `<title>` title, unless it is a placeholder or a file name that says nothing
/// (the library falls back to the real file name itself).
pub(crate) fn plausible_title(raw: &str) -> Option<String> {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title = collapsed.as_str();
    for prefix in ["Microsoft Word - ", "Microsoft PowerPoint - ", "Microsoft Excel - "] {
        if let Some(rest) = title.strip_prefix(prefix) {
            title = rest;
        }
    }
    if title.is_empty() || title.chars().count() > 300 || !title.chars().any(char::is_alphabetic) {
        return None;
    }
    let lower = title.to_lowercase();
    const PLACEHOLDERS: &[&str] =
        &["untitled", "title", "document", "no title", "none", "null", "powerpoint presentation"];
    if PLACEHOLDERS.contains(&lower.as_str()) || lower.starts_with("untitled") {
        return None;
    }
    const FILE_EXTENSIONS: &[&str] = &[
        ".pdf", ".doc", ".docx", ".rtf", ".odt", ".tex", ".dvi", ".ps", ".indd", ".qxd", ".qxp", ".ppt", ".pptx",
        ".xls", ".xlsx", ".txt", ".htm", ".html", ".png", ".jpg", ".tif", ".tiff",
    ];
    if FILE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) {
        return None;
    }
    // One "word" with underscores or a file extension is a file name ("905_Precinct_NoOU",
    // "10811.exe"), not a title.
    if !title.contains(' ') {
        let extension = title.rsplit_once('.').map(|(_, ext)| ext);
        let has_extension =
            extension.is_some_and(|ext| (2..=4).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric()));
        if title.contains('_') || has_extension {
            return None;
        }
    }
    Some(title.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_plain_and_with_bom() {
        assert_eq!(decode("grüße\r\nzwei\rdrei".as_bytes()).unwrap(), "grüße\nzwei\ndrei");
        assert_eq!(decode(b"\xef\xbb\xbfhello").unwrap(), "hello");
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let s = "Grüße, welt — ok 一 mixed with ASCII text";
        let le: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let mut le_bom = vec![0xff, 0xfe];
        le_bom.extend_from_slice(&le);
        let mut be_bom = vec![0xfe, 0xff];
        be_bom.extend_from_slice(&be);
        assert_eq!(decode(&le_bom).unwrap(), s);
        assert_eq!(decode(&be_bom).unwrap(), s);
        assert_eq!(decode(&le).unwrap(), s);
        assert_eq!(decode(&be).unwrap(), s);
    }

    #[test]
    fn latin1_is_detected() {
        let bytes = b"Die sch\xf6ne Stra\xdfe in M\xfcnchen ist gr\xfcn und \xe4u\xdferst sch\xf6n.";
        assert_eq!(decode(bytes).unwrap(), "Die schöne Straße in München ist grün und äußerst schön.");
    }

    #[test]
    fn binary_is_refused_with_its_kind() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x02";
        let err = decode(png).unwrap_err();
        assert_eq!(err.to_string(), "not a valid text file: binary data (looks like PNG)");
        let err = decode(b"abc\0\x01\x02\x03\x04\x05def\0\0\x07").unwrap_err();
        assert!(err.to_string().contains("binary data"), "{err}");
        let controls: Vec<u8> = (0..200u8).map(|i| if i % 3 == 0 { 0x02 } else { b'a' }).collect();
        assert!(decode(&controls).is_err());
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(decode(b"a\x1b[0mb\tc\x0cd\x7fe").unwrap(), "a [0mb\tc\x0cd e");
    }

    #[test]
    fn whitespace_only_is_no_text() {
        assert!(matches!(whole_document(Format::Text, " \n\t ".into()), Err(ExtractError::NoText(_))));
        let doc = whole_document(Format::Text, "\n hi \n".into()).unwrap();
        assert_eq!(&doc.text[doc.segments[0].bytes.clone()], "hi");
    }

    #[test]
    fn titles_are_filtered() {
        assert_eq!(plausible_title("  A Real   Title "), Some("A Real Title".into()));
        assert_eq!(plausible_title("Microsoft Word - report.doc"), None);
        assert_eq!(plausible_title("Microsoft Word - Annual Report"), Some("Annual Report".into()));
        assert_eq!(plausible_title("untitled"), None);
        assert_eq!(plausible_title("1234"), None);
        assert_eq!(plausible_title(""), None);
        assert_eq!(plausible_title("905_Precinct_NoOU"), None);
        assert_eq!(plausible_title("10811.exe"), None);
        assert_eq!(plausible_title("SNB22-3"), Some("SNB22-3".into()));
    }
}
