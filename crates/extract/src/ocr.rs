//! Optical character recognition of scanned pages and image files, through Tesseract.
//!
//! Tesseract runs as a child process (`tesseract stdin stdout -l LANGS --dpi 300 tsv`), one per
//! page, with its own threading turned off (`OMP_THREAD_LIMIT=1`): pages are the unit of
//! parallelism, bounded across the whole process by one [`OcrLimiter`], so at most N pages (N =
//! cores) are recognised at any moment, whatever the number of files read at once. Each file
//! renders its next page while its earlier ones are recognised, so rendering is off the critical
//! path; at most one rendered page per file waits for a slot.
//! A child process rather than a binding to libtesseract: a crash or runaway on a hostile image
//! takes down only that child, cancellation kills it mid-page, and nothing C++ is linked into
//! Catena. Its fixed cost (starting and loading the language data, about 0.15 s) is measured by
//! `catena bench-ocr` next to the per-page time.
//!
//! PDF pages are rendered by poppler through cairo (the library that already reads the text
//! layer) at 300 DPI, the resolution Tesseract's models are trained for, converted to 8-bit gray
//! and handed over as PGM on stdin, so no page image touches the disk. Image files are handed to
//! Tesseract by path (Leptonica reads PNG, JPEG, TIFF including multi-page, and WebP).
//!
//! What comes back is Tesseract's TSV: one row per word with its box and confidence. Words are
//! joined into lines, lines into paragraphs (a blank line between paragraphs, so no sentence
//! runs across blocks), and every word keeps its byte range in the page text and its box as
//! fractions of the page's width and height, measured from the top-left corner: the same
//! fractions place it on the PDF page at any zoom.

use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Pages whose mean word confidence (0–100) is below this are reported as warnings.
pub const LOW_CONFIDENCE: f32 = 60.0;

/// Why OCR could not run. `Display` is the one-line reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcrError {
    /// The `tesseract` command is not on the PATH.
    #[error("tesseract is not installed (install the tesseract-ocr package, or turn OCR off)")]
    NotInstalled,
    /// A language's trained data is missing.
    #[error("OCR language '{lang}' is not installed (install the {package} package)")]
    MissingLanguage {
        /// Tesseract's language code, e.g. `deu`.
        lang: String,
        /// The Debian/Ubuntu package that provides it.
        package: String,
    },
    /// The language setting is not a `+`-separated list of language codes.
    #[error("invalid OCR language list '{0}' (expected codes like eng or eng+deu)")]
    BadLanguages(String),
    /// Tesseract ran but failed on this input.
    #[error("OCR failed: {0}")]
    Failed(String),
    /// The run was cancelled.
    #[error("cancelled")]
    Cancelled,
}

/// The Debian/Ubuntu package holding a Tesseract language: `chi_sim` → `tesseract-ocr-chi-sim`.
pub fn language_package(lang: &str) -> String {
    format!("tesseract-ocr-{}", lang.to_ascii_lowercase().replace('_', "-"))
}

/// Bounds the OCR pages in flight across everything that shares it (one per process by
/// default): a page holds a permit from when it is rendered until Tesseract has answered, so
/// memory stays at most N page images in flight plus one rendered page waiting per file read.
#[derive(Debug)]
pub struct OcrLimiter {
    max: usize,
    used: Mutex<usize>,
    freed: Condvar,
}

impl OcrLimiter {
    /// A limiter letting `max` pages (at least one) run at once.
    pub fn new(max: usize) -> OcrLimiter {
        OcrLimiter { max: max.max(1), used: Mutex::new(0), freed: Condvar::new() }
    }

    /// Pages allowed at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Waits for a free slot; `None` once `cancel` is set.
    fn acquire(&self, cancel: &Cancel) -> Option<Permit<'_>> {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if cancel.is_set() {
                return None;
            }
            if *used < self.max {
                *used += 1;
                return Some(Permit(self));
            }
            used = self.freed.wait_timeout(used, Duration::from_millis(50)).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

impl Default for OcrLimiter {
    fn default() -> Self {
        OcrLimiter::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    }
}

/// One slot of an [`OcrLimiter`], given back on drop.
struct Permit<'a>(&'a OcrLimiter);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut used = self.0.used.lock().unwrap_or_else(|p| p.into_inner());
        *used = used.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

/// OCR settings, part of [`crate::ExtractOptions`].
#[derive(Debug, Clone)]
pub struct OcrOptions {
    /// Read pages without a text layer and image files through Tesseract.
    pub enabled: bool,
    /// Tesseract languages, `+`-separated (`eng`, `eng+deu`).
    pub languages: String,
    /// Rendering resolution of PDF pages.
    pub dpi: u32,
    /// A page rendered larger than this many pixels is rendered at a lower resolution. The
    /// default, 24 million, keeps every paper size up to A3 and tabloid at 300 DPI; larger pages
    /// are posters and drawings, whose type is large enough to read at less, and a 30-inch page
    /// would otherwise take hundreds of megabytes and most of the rendering time.
    pub max_page_pixels: u64,
    /// One page's recognition is stopped after this long.
    pub page_timeout: Duration,
    /// The Tesseract command.
    pub command: PathBuf,
    /// Pages in flight, shared by every extraction that clones these options.
    pub limiter: Arc<OcrLimiter>,
    /// Set to stop: pages not yet started are skipped, running ones are killed, and the
    /// extraction returns [`crate::ExtractError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for OcrOptions {
    fn default() -> Self {
        OcrOptions {
            enabled: true,
            languages: "eng".to_owned(),
            dpi: 300,
            max_page_pixels: 24_000_000,
            page_timeout: Duration::from_secs(300),
            command: PathBuf::from("tesseract"),
            limiter: Arc::new(OcrLimiter::default()),
            cancel: None,
        }
    }
}

impl OcrOptions {
    fn cancel(&self) -> Cancel {
        Cancel(self.cancel.clone())
    }
}

#[derive(Clone)]
struct Cancel(Option<Arc<AtomicBool>>);

impl Cancel {
    fn is_set(&self) -> bool {
        self.0.as_ref().is_some_and(|c| c.load(Ordering::SeqCst))
    }
}

/// A word's box as fractions (0–1) of the page's width and height, from the top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BBox {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y1: f32,
}

/// One recognised word.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrWord {
    /// Byte range into [`crate::Document::text`].
    pub bytes: Range<usize>,
    /// Where it sits on its page.
    pub bbox: BBox,
    /// Tesseract's confidence, 0–100.
    pub confidence: f32,
}

/// One page whose text was read by OCR.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrPage {
    /// 1-based physical page.
    pub page: u32,
    /// Byte range of the page's text in [`crate::Document::text`].
    pub bytes: Range<usize>,
    /// Mean word confidence, 0–100.
    pub confidence: f32,
    /// The languages it was read with.
    pub languages: String,
    /// Its words, in text order.
    pub words: Vec<OcrWord>,
}

/// A page's recognised text, with word ranges relative to `text`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Recognized {
    /// 1-based page within the input (multi-page TIFF); 1 for a single image.
    pub page: u32,
    pub text: String,
    pub words: Vec<OcrWord>,
    pub confidence: f32,
}

impl Recognized {
    /// Moves the page to `offset` in the document text and labels it `page`.
    pub(crate) fn into_page(self, page: u32, offset: usize, languages: &str) -> OcrPage {
        let words = self
            .words
            .into_iter()
            .map(|w| OcrWord { bytes: w.bytes.start + offset..w.bytes.end + offset, ..w })
            .collect();
        OcrPage {
            page,
            bytes: offset..offset + self.text.len(),
            confidence: self.confidence,
            languages: languages.to_owned(),
            words,
        }
    }
}

/// Checks that Tesseract runs and has every language of `languages`, naming the package to
/// install when not. Returns the installed languages.
pub fn check(opts: &OcrOptions) -> Result<Vec<String>, OcrError> {
    let wanted = parse_languages(&opts.languages)?;
    let out =
        Command::new(&opts.command).arg("--list-langs").stdin(Stdio::null()).output().map_err(|e| spawn_error(&e))?;
    // Tesseract 4 printed the list on stderr, 5 on stdout.
    let listing = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let installed: Vec<String> =
        listing.lines().filter(|l| !l.contains(' ') && !l.trim().is_empty()).map(|l| l.trim().to_owned()).collect();
    for lang in wanted {
        if !installed.iter().any(|i| i == lang) {
            return Err(OcrError::MissingLanguage { lang: lang.to_owned(), package: language_package(lang) });
        }
    }
    Ok(installed)
}

/// Splits a `+`-separated language list (`eng+deu`), or says why it is not one.
pub fn parse_languages(languages: &str) -> Result<Vec<&str>, OcrError> {
    let parts: Vec<&str> = languages.split('+').map(str::trim).collect();
    let valid = |p: &&str| !p.is_empty() && p.len() <= 32 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if parts.is_empty() || !parts.iter().all(valid) {
        return Err(OcrError::BadLanguages(languages.to_owned()));
    }
    Ok(parts)
}

fn spawn_error(e: &std::io::Error) -> OcrError {
    if e.kind() == std::io::ErrorKind::NotFound {
        OcrError::NotInstalled
    } else {
        OcrError::Failed(format!("cannot start tesseract: {e}"))
    }
}

/// What Tesseract reads.
enum Input<'a> {
    /// A binary PGM image, written to its stdin.
    Pgm(&'a [u8]),
    /// An image file.
    File(&'a Path),
}

/// Runs Tesseract on one input and returns its TSV, killing it on cancellation or timeout.
fn run_tesseract(input: Input<'_>, opts: &OcrOptions, cancel: &Cancel) -> Result<String, OcrError> {
    let languages = parse_languages(&opts.languages)?.join("+");
    let mut cmd = Command::new(&opts.command);
    match input {
        Input::Pgm(_) => cmd.arg("stdin"),
        Input::File(path) => cmd.arg(path),
    };
    cmd.arg("stdout").args(["-l", &languages, "--psm", "3"]);
    if let Input::Pgm(_) = input {
        cmd.args(["--dpi", &opts.dpi.to_string()]);
    }
    cmd.arg("tsv")
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(if matches!(input, Input::Pgm(_)) { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(&e))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let (status, out, err) = std::thread::scope(|s| {
        if let (Some(mut stdin), Input::Pgm(bytes)) = (stdin, &input) {
            // A child killed or failing early closes the pipe; its exit status tells why.
            s.spawn(move || {
                let _ = stdin.write_all(bytes);
            });
        }
        let out = s.spawn(move || read_all(stdout));
        let err = s.spawn(move || read_all(stderr));
        let status = wait(&mut child, opts.page_timeout, cancel);
        let out = out.join().unwrap_or_default();
        let err = err.join().unwrap_or_default();
        (status, out, err)
    });
    let status = status?;
    let stderr = String::from_utf8_lossy(&err);
    // With several languages Tesseract goes on without one it cannot load; Catena refuses, so
    // that a page is never read silently without a language the user asked for.
    if !status.success() || stderr.contains("Failed loading language") {
        return Err(tesseract_error(&stderr));
    }
    String::from_utf8(out).map_err(|_| OcrError::Failed("tesseract wrote invalid UTF-8".into()))
}

fn read_all(pipe: Option<impl Read>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(mut p) = pipe {
        let _ = p.read_to_end(&mut buf);
    }
    buf
}

/// Waits for the child, polling so that cancellation and the timeout can kill it.
fn wait(child: &mut Child, timeout: Duration, cancel: &Cancel) -> Result<std::process::ExitStatus, OcrError> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => {}
            Err(e) => return Err(OcrError::Failed(format!("cannot wait for tesseract: {e}"))),
        }
        let stop = if cancel.is_set() {
            Some(OcrError::Cancelled)
        } else if started.elapsed() > timeout {
            Some(OcrError::Failed(format!("page took longer than {} s", timeout.as_secs())))
        } else {
            None
        };
        if let Some(reason) = stop {
            let _ = child.kill();
            let _ = child.wait();
            return Err(reason);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Tesseract's stderr as one reason: a missing language names its package.
fn tesseract_error(stderr: &str) -> OcrError {
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("Failed loading language '") {
            let lang = rest.trim_end_matches('\'').to_owned();
            return OcrError::MissingLanguage { package: language_package(&lang), lang };
        }
    }
    let reason = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("Estimating resolution") && !l.starts_with("Warning"))
        .unwrap_or("tesseract exited with an error");
    OcrError::Failed(reason.chars().take(200).collect())
}

/// Parses Tesseract's TSV into pages of text with word boxes.
/// True when `text` ends in a line-end hyphen after a lowercase letter and the next line's
/// first word starts with a lowercase letter.
fn hyphenated(text: &str, next: &str) -> bool {
    let mut end = text.chars().rev();
    end.next() == Some('-')
        && end.next().is_some_and(char::is_lowercase)
        && next.chars().next().is_some_and(char::is_lowercase)
}

pub(crate) fn parse_tsv(tsv: &str) -> Vec<Recognized> {
    let mut pages: Vec<Recognized> = Vec::new();
    // (page, width, height) of the current page, and the (block, paragraph, line) of the last word.
    let mut size = (1.0f32, 1.0f32);
    let mut last: Option<(u32, u32, u32)> = None;
    let mut conf_sum = 0.0f64;
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().unwrap_or(0);
        let level = num(0);
        let page = u32::try_from(num(1)).unwrap_or(1).max(1);
        let (left, top, width, height) = (num(6) as f32, num(7) as f32, num(8) as f32, num(9) as f32);
        if level == 1 {
            finish(pages.last_mut(), conf_sum);
            conf_sum = 0.0;
            pages.push(Recognized { page, ..Recognized::default() });
            size = (width.max(1.0), height.max(1.0));
            last = None;
            continue;
        }
        // Tesseract never puts a tab in a word, but the text column is the rest of the row.
        let word = cols[11..].join(" ");
        let word = word.trim();
        if level != 5 || word.is_empty() {
            continue;
        }
        let Some(current) = pages.last_mut() else { continue };
        let key = (
            u32::try_from(num(2)).unwrap_or(0),
            u32::try_from(num(3)).unwrap_or(0),
            u32::try_from(num(4)).unwrap_or(0),
        );
        match last {
            None => {}
            // A word hyphenated across the line end ("infor-" / "mation", lowercase on both
            // sides) is joined, as in a PDF's text layer, so it can be found; each half keeps
            // its own box. Tesseract may start a new paragraph or block there (a short line, the
            // next column): still one word.
            Some(l) if l != key && hyphenated(&current.text, word) => {
                current.text.pop();
                if let Some(prev) = current.words.last_mut() {
                    prev.bytes.end = current.text.len();
                }
            }
            Some((b, p, _)) if (b, p) != (key.0, key.1) => current.text.push_str("\n\n"),
            Some(l) if l != key => current.text.push('\n'),
            Some(_) => current.text.push(' '),
        }
        last = Some(key);
        let start = current.text.len();
        current.text.push_str(word);
        let confidence = cols[10].trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 100.0);
        conf_sum += f64::from(confidence);
        let frac = |v: f32, total: f32| (v / total).clamp(0.0, 1.0);
        current.words.push(OcrWord {
            bytes: start..current.text.len(),
            bbox: BBox {
                x0: frac(left, size.0),
                y0: frac(top, size.1),
                x1: frac(left + width, size.0),
                y1: frac(top + height, size.1),
            },
            confidence,
        });
    }
    finish(pages.last_mut(), conf_sum);
    pages
}

fn finish(page: Option<&mut Recognized>, conf_sum: f64) {
    if let Some(p) = page
        && !p.words.is_empty()
    {
        p.confidence = (conf_sum / p.words.len() as f64) as f32;
    }
}

/// Recognises an image file (every page of a multi-page TIFF).
pub(crate) fn recognize_file(path: &Path, opts: &OcrOptions) -> Result<Vec<Recognized>, OcrError> {
    let cancel = opts.cancel();
    let _permit = opts.limiter.acquire(&cancel).ok_or(OcrError::Cancelled)?;
    let tsv = run_tesseract(Input::File(path), opts, &cancel)?;
    Ok(parse_tsv(&tsv))
}

/// An 8-bit gray page image.
pub struct GrayPage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The image as a binary PGM file (`P5` header, then one byte a pixel).
    pub pgm: Vec<u8>,
}

/// Renders one PDF page to gray at `opts.dpi` (lower for pages over `opts.max_page_pixels`).
pub(crate) fn render(page: &poppler::Page, opts: &OcrOptions) -> Result<GrayPage, String> {
    let (w_pt, h_pt) = page.size();
    if !(w_pt.is_finite() && h_pt.is_finite() && w_pt > 0.0 && h_pt > 0.0) {
        return Err("page has no size".into());
    }
    let mut scale = f64::from(opts.dpi.clamp(36, 1200)) / 72.0;
    let pixels = w_pt * scale * h_pt * scale;
    if pixels > opts.max_page_pixels as f64 {
        scale *= (opts.max_page_pixels as f64 / pixels).sqrt();
    }
    // Cairo's image surfaces stop at 32767 pixels a side.
    let side = |pt: f64| (pt * scale).ceil().clamp(1.0, 32_767.0) as i32;
    let (width, height) = (side(w_pt), side(h_pt));
    let mut surface =
        cairo::ImageSurface::create(cairo::Format::Rgb24, width, height).map_err(|e| format!("cannot render: {e}"))?;
    {
        let cr = cairo::Context::new(&surface).map_err(|e| format!("cannot render: {e}"))?;
        cr.set_source_rgb(1.0, 1.0, 1.0);
        cr.paint().map_err(|e| format!("cannot render: {e}"))?;
        cr.scale(scale, scale);
        page.render(&cr);
    }
    surface.flush();
    let stride = usize::try_from(surface.stride()).map_err(|_| "bad image stride".to_owned())?;
    let (w, h) = (usize::try_from(width).unwrap_or(1), usize::try_from(height).unwrap_or(1));
    let data = surface.data().map_err(|e| format!("cannot read the rendered page: {e}"))?;
    let header = format!("P5\n{width} {height}\n255\n");
    let mut pgm = Vec::with_capacity(header.len() + w * h);
    pgm.extend_from_slice(header.as_bytes());
    for row in data.chunks(stride).take(h) {
        for px in row.chunks_exact(4).take(w) {
            // RGB24 is a native-endian 0x00RRGGBB word; ITU-R BT.601 luma.
            let v = u32::from_ne_bytes([px[0], px[1], px[2], px[3]]);
            let (r, g, b) = ((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
            pgm.push(((r * 299 + g * 587 + b * 114 + 500) / 1000) as u8);
        }
    }
    Ok(GrayPage { width: width.unsigned_abs(), height: height.unsigned_abs(), pgm })
}

/// Each OCR'd page's 0-based index with what OCR made of it.
pub(crate) type PageResults = Vec<(i32, Result<Recognized, OcrError>)>;

/// Recognises the given pages (0-based indices) of an open PDF: rendered one after another on
/// this thread, each while the ones before it are recognised in parallel, at most `opts.limiter.max()` in flight. A page that
/// fails has its own error; only cancellation fails the whole call.
pub(crate) fn recognize_pdf_pages(
    doc: &poppler::Document,
    indices: &[i32],
    opts: &OcrOptions,
) -> Result<PageResults, OcrError> {
    let cancel = opts.cancel();
    let mut results = Vec::with_capacity(indices.len());
    let cancelled = std::thread::scope(|s| {
        let mut running = Vec::new();
        let mut cancelled = false;
        for &index in indices {
            if cancel.is_set() {
                cancelled = true;
                break;
            }
            // The next page renders while earlier ones are being recognised, so the cores stay
            // busy; its permit is taken only once it is rendered, which leaves at most one image
            // waiting per file on top of the pages in flight.
            let image = match doc.page(index) {
                Some(page) => render(&page, opts).map_err(OcrError::Failed),
                None => Err(OcrError::Failed("cannot load page".into())),
            };
            let Some(permit) = opts.limiter.acquire(&cancel) else {
                cancelled = true;
                break;
            };
            let cancel = cancel.clone();
            running.push((
                index,
                s.spawn(move || {
                    let _permit = permit;
                    let image = image?;
                    let tsv = run_tesseract(Input::Pgm(&image.pgm), opts, &cancel)?;
                    Ok(parse_tsv(&tsv).into_iter().next().unwrap_or_default())
                }),
            ));
        }
        for (index, handle) in running {
            let result =
                handle.join().unwrap_or_else(|_| Err(OcrError::Failed("internal error while reading the page".into())));
            cancelled |= result == Err(OcrError::Cancelled);
            results.push((index, result));
        }
        cancelled
    });
    if cancelled || cancel.is_set() {
        return Err(OcrError::Cancelled);
    }
    Ok(results)
}

/// Renders the pages of a PDF that have no text layer, as Catena would before OCR, for
/// benchmarks that feed the same images to other tools. Returns `(page number, image)`.
pub fn render_pages_without_text(bytes: &[u8], opts: &OcrOptions) -> Result<Vec<(u32, GrayPage)>, crate::ExtractError> {
    crate::pdf::render_pages_without_text(bytes, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t1000\t500\t-1\t
2\t1\t1\t0\t0\t0\t50\t100\t480\t47\t-1\t
5\t1\t1\t1\t1\t1\t50\t100\t100\t40\t96.5\tThe
5\t1\t1\t1\t1\t2\t200\t100\t100\t40\t90.5\tquick
5\t1\t1\t1\t2\t1\t50\t200\t100\t40\t80\tfox
5\t1\t2\t1\t1\t1\t50\t300\t100\t40\t-1\t 
5\t1\t2\t1\t1\t2\t50\t300\t100\t50\t50\tdog.
";

    #[test]
    fn tsv_becomes_lines_paragraphs_and_boxes() {
        let pages = parse_tsv(TSV);
        assert_eq!(pages.len(), 1);
        let p = &pages[0];
        assert_eq!(p.text, "The quick\nfox\n\ndog.");
        assert_eq!(p.words.len(), 4);
        assert_eq!(&p.text[p.words[1].bytes.clone()], "quick");
        assert_eq!(p.words[0].bbox, BBox { x0: 0.05, y0: 0.2, x1: 0.15, y1: 0.28 });
        assert!((p.confidence - (96.5 + 90.5 + 80.0 + 50.0) / 4.0).abs() < 1e-3);
    }

    #[test]
    fn a_word_hyphenated_across_lines_is_joined_and_keeps_both_boxes() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t1000\t500\t-1\t
5\t1\t1\t1\t1\t1\t50\t100\t100\t40\t95\tharbour
5\t1\t1\t1\t1\t2\t200\t100\t100\t40\t95\tinfor-
5\t1\t1\t1\t2\t1\t50\t200\t100\t40\t95\tmation
5\t1\t1\t1\t2\t2\t200\t200\t100\t40\t95\tdesk
5\t1\t1\t1\t3\t1\t50\t300\t100\t40\t95\tNorth-
5\t1\t1\t1\t4\t1\t50\t400\t100\t40\t95\tEast
";
        let p = &parse_tsv(tsv)[0];
        // A capitalised word after the hyphen is a compound or a new sentence: kept as it is.
        assert_eq!(p.text, "harbour information desk\nNorth-\nEast");
        let words: Vec<&str> = p.words.iter().map(|w| &p.text[w.bytes.clone()]).collect();
        assert_eq!(words, ["harbour", "infor", "mation", "desk", "North-", "East"]);
        assert_eq!(p.words[2].bbox.y0, 0.4, "the second half keeps its own box");
    }

    #[test]
    fn missing_language_names_its_package() {
        let err = tesseract_error("Error opening data file x\nFailed loading language 'chi_sim'\nCould not initialize");
        assert_eq!(err, OcrError::MissingLanguage { lang: "chi_sim".into(), package: "tesseract-ocr-chi-sim".into() });
        assert!(err.to_string().contains("tesseract-ocr-chi-sim"));
    }

    #[test]
    fn language_lists_are_checked() {
        assert!(parse_languages("eng+deu").is_ok());
        assert!(parse_languages("eng+").is_err());
        assert!(parse_languages("-psm").is_err());
    }
}
