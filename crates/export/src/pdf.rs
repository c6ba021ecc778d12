//! PDF through `printpdf`: an A4 report laid out here (greedy line breaking on measured glyph
//! widths) in DejaVu Sans, embedded from the crate (`fonts/`, Bitstream Vera licence). A font
//! inside the binary renders the same on every machine, where a system font path may not exist.
//! printpdf subsets fonts only with its heavy `text_layout` feature, so the files in `fonts/` are
//! already cut down to the scripts a report needs (about 250 kB each; see `fonts/README.md`).
//! Characters the font lacks (CJK, for one) come out as `□` rather than vanishing.

use printpdf::{
    Color, FontId, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

use crate::ExportError;
use crate::report::{Report, Span, verdict_label};
use crate::style::{Rich, plain};

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.7;
const BODY: f32 = 10.5;
const MISSING: char = '□';

#[derive(Clone, Copy, PartialEq)]
enum Ink {
    Text,
    Muted,
    Accent,
    Warn,
    Bad,
}

impl Ink {
    fn color(self) -> Color {
        let (r, g, b) = match self {
            Ink::Text => (0.11, 0.11, 0.12),
            Ink::Muted => (0.38, 0.39, 0.41),
            Ink::Accent => (0.04, 0.34, 0.82),
            Ink::Warn => (0.63, 0.37, 0.02),
            Ink::Bad => (0.75, 0.0, 0.0),
        };
        Color::Rgb(Rgb::new(r, g, b, None))
    }
}

/// A run of text in one face and colour.
#[derive(Clone)]
struct Piece {
    text: String,
    bold: bool,
    ink: Ink,
}

/// A piece of a word, with the characters the font lacks already replaced.
#[derive(Clone)]
struct Frag {
    text: String,
    bold: bool,
    ink: Ink,
}

fn piece(text: impl Into<String>, bold: bool, ink: Ink) -> Piece {
    Piece { text: text.into(), bold, ink }
}

struct Face {
    font: ParsedFont,
    id: FontId,
}

impl Face {
    /// The glyph-mapped form of `c`: itself when the font has it, else the replacement.
    fn map(&self, c: char) -> char {
        if c == ' ' || self.font.lookup_glyph_index(c as u32).is_some() { c } else { MISSING }
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        let upem = f32::from(self.font.units_per_em.max(1));
        let units: u32 = s
            .chars()
            .map(|c| {
                self.font
                    .lookup_glyph_index(c as u32)
                    .and_then(|g| self.font.get_glyph_width(g))
                    .map_or(upem as u32 / 2, u32::from)
            })
            .sum();
        units as f32 / upem * size
    }
}

struct Writer {
    regular: Face,
    bold: Face,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Baseline of the next line, from the bottom of the page.
    y: f32,
}

impl Writer {
    fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }

    fn new_page(&mut self) {
        let done = std::mem::take(&mut self.ops);
        if !done.is_empty() {
            self.pages.push(done);
        }
        self.y = PAGE_H - MARGIN;
    }

    fn space(&mut self, pt: f32) {
        self.y -= pt;
    }

    fn draw(&mut self, x: f32, y: f32, text: &str, bold: bool, ink: Ink, size: f32) {
        let font = self.face(bold).id.clone();
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) });
        self.ops.push(Op::SetFillColor { col: ink.color() });
        self.ops.push(Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(y) } });
        self.ops.push(Op::ShowText { items: vec![TextItem::Text(text.to_string())] });
        self.ops.push(Op::EndTextSection);
    }

    /// `pieces` as clusters: runs of fragments with no space between them (`Chomedey[1].`), so
    /// a line never breaks between a word and its marker.
    fn clusters(&self, pieces: &[Piece]) -> Vec<Vec<Frag>> {
        let mut out: Vec<Vec<Frag>> = Vec::new();
        let mut space = true;
        for p in pieces {
            let face = self.face(p.bold);
            let mut word = String::new();
            let flush = |word: &mut String, space: &mut bool, out: &mut Vec<Vec<Frag>>| {
                if word.is_empty() {
                    return;
                }
                let frag = Frag { text: std::mem::take(word), bold: p.bold, ink: p.ink };
                match out.last_mut() {
                    Some(last) if !*space => last.push(frag),
                    _ => out.push(vec![frag]),
                }
                *space = false;
            };
            for c in p.text.chars() {
                if c.is_whitespace() {
                    flush(&mut word, &mut space, &mut out);
                    space = true;
                } else if !c.is_control() {
                    word.push(face.map(c));
                }
            }
            flush(&mut word, &mut space, &mut out);
        }
        out
    }

    fn cluster_width(&self, c: &[Frag], size: f32) -> f32 {
        c.iter().map(|f| self.face(f.bold).width(&f.text, size)).sum()
    }

    /// Lays out `pieces` as one paragraph: words wrap at the right margin, lines that do not fit
    /// start a new page, and the first line starts `hang` left of the others.
    fn paragraph(&mut self, pieces: &[Piece], size: f32, indent: f32, hang: f32) {
        let leading = size * 1.4;
        let space = self.regular.width(" ", size);
        let mut queue: std::collections::VecDeque<Vec<Frag>> = self.clusters(pieces).into();
        let mut line: Vec<Vec<Frag>> = Vec::new();
        let mut width = 0.0;
        let mut first_line = true;
        while let Some(cluster) = queue.pop_front() {
            let x0 = MARGIN + indent - if first_line { hang } else { 0.0 };
            let avail = PAGE_W - MARGIN - x0;
            let cw = self.cluster_width(&cluster, size);
            let gap = if line.is_empty() { 0.0 } else { space };
            if width + gap + cw <= avail {
                width += gap + cw;
                line.push(cluster);
                continue;
            }
            if !line.is_empty() {
                self.emit(&std::mem::take(&mut line), size, x0, leading);
                width = 0.0;
                first_line = false;
                queue.push_front(cluster);
                continue;
            }
            // A word wider than the line (a long path or address) is cut where it overflows.
            let (head, tail) = self.cut(&cluster, size, avail);
            self.emit(&[head], size, x0, leading);
            first_line = false;
            if !tail.is_empty() {
                queue.push_front(tail);
            }
        }
        if !line.is_empty() {
            let x0 = MARGIN + indent - if first_line { hang } else { 0.0 };
            self.emit(&line, size, x0, leading);
        }
    }

    /// The longest head of `cluster` that fits `avail` (at least one character), and the rest.
    fn cut(&self, cluster: &[Frag], size: f32, avail: f32) -> (Vec<Frag>, Vec<Frag>) {
        let mut head: Vec<Frag> = Vec::new();
        let mut tail: Vec<Frag> = Vec::new();
        let mut width = 0.0;
        for f in cluster {
            let face = self.face(f.bold);
            let mut h = String::new();
            let mut t = String::new();
            for c in f.text.chars() {
                let cw = face.width(c.encode_utf8(&mut [0; 4]), size);
                if t.is_empty() && tail.is_empty() && (width + cw <= avail || (head.is_empty() && h.is_empty())) {
                    width += cw;
                    h.push(c);
                } else {
                    t.push(c);
                }
            }
            if !h.is_empty() {
                head.push(Frag { text: h, bold: f.bold, ink: f.ink });
            }
            if !t.is_empty() {
                tail.push(Frag { text: t, bold: f.bold, ink: f.ink });
            }
        }
        (head, tail)
    }

    fn emit(&mut self, line: &[Vec<Frag>], size: f32, x0: f32, leading: f32) {
        if self.y - leading < MARGIN {
            self.new_page();
        }
        self.y -= leading;
        let y = self.y + leading * 0.25;
        let space = self.regular.width(" ", size);
        let mut x = x0;
        for (i, cluster) in line.iter().enumerate() {
            if i > 0 {
                x += space;
            }
            for f in cluster {
                self.draw(x, y, &f.text, f.bold, f.ink, size);
                x += self.face(f.bold).width(&f.text, size);
            }
        }
    }

    fn heading(&mut self, text: &str, size: f32) {
        // Keep a heading with at least two lines of what follows.
        if self.y - size * 1.4 - BODY * 1.4 * 2.0 < MARGIN {
            self.new_page();
        }
        self.space(size * 0.6);
        self.paragraph(&[piece(text, true, Ink::Text)], size, 0.0, 0.0);
        self.space(size * 0.3);
    }

    fn finish(mut self, footer: &str) -> Vec<PdfPage> {
        self.new_page();
        let total = self.pages.len();
        let pages = std::mem::take(&mut self.pages);
        pages
            .into_iter()
            .enumerate()
            .map(|(i, mut ops)| {
                let label = format!("{footer} · {}/{total}", i + 1);
                let label: String = label.chars().map(|c| self.regular.map(c)).collect();
                let w = self.regular.width(&label, 8.0);
                std::mem::swap(&mut self.ops, &mut ops);
                self.draw((PAGE_W - w) / 2.0, MARGIN / 2.0, &label, false, Ink::Muted, 8.0);
                std::mem::swap(&mut self.ops, &mut ops);
                PdfPage::new(Pt(PAGE_W).into(), Pt(PAGE_H).into(), ops)
            })
            .collect()
    }
}

fn rich(r: &Rich) -> Vec<Piece> {
    r.iter().map(|run| piece(run.text.clone(), run.bold, Ink::Text)).collect()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn load(bytes: &[u8], doc: &mut PdfDocument) -> Result<Face, ExportError> {
    let mut warnings = Vec::new();
    let font = ParsedFont::from_bytes(bytes, 0, &mut warnings)
        .ok_or_else(|| ExportError::Pdf("the embedded font cannot be read".into()))?;
    let id = doc.add_font(&font);
    Ok(Face { font, id })
}

pub(crate) fn render(report: &Report<'_>) -> Result<Vec<u8>, ExportError> {
    let run = report.run;
    let mut doc = PdfDocument::new(&one_line(&run.question));
    doc.metadata.info.creator = "Catena".into();
    doc.metadata.info.subject = "Answer with sources".into();
    let regular = load(REGULAR, &mut doc)?;
    let bold = load(BOLD, &mut doc)?;
    let mut w = Writer { regular, bold, pages: Vec::new(), ops: Vec::new(), y: PAGE_H - MARGIN };

    w.paragraph(&[piece(one_line(&run.question), true, Ink::Text)], 17.0, 0.0, 0.0);
    w.space(4.0);
    w.paragraph(
        &[piece(
            format!(
                "Catena run {} · asked {} · {} · citation style: {}",
                run.run_id,
                report.asked(),
                report.mode(),
                report.style.label()
            ),
            false,
            Ink::Muted,
        )],
        8.5,
        0.0,
        0.0,
    );

    w.heading("Answer", 13.0);
    if report.answer.is_empty() {
        w.paragraph(
            &[piece("No answer: nothing in the library answers this question.", false, Ink::Muted)],
            BODY,
            0.0,
            0.0,
        );
    }
    for para in &report.answer {
        let mut pieces = Vec::new();
        for s in para {
            for span in &s.spans {
                match span {
                    Span::Text(t) => pieces.push(piece(t.clone(), false, Ink::Text)),
                    Span::Cite(nums) => {
                        if let Some(last) = pieces.last_mut() {
                            let trimmed = last.text.trim_end().to_string();
                            last.text = trimmed;
                        }
                        let marks: String = nums.iter().map(|n| format!("[{n}]")).collect();
                        pieces.push(piece(marks, false, Ink::Accent));
                    }
                }
            }
            if let Some(v) = s.flag {
                let ink = if v == engine::Verdict::Partial { Ink::Warn } else { Ink::Bad };
                pieces.push(piece(format!(" ⚠ {} ", verdict_label(v)), true, ink));
            }
        }
        w.paragraph(&pieces, BODY, 0.0, 0.0);
        w.space(5.0);
    }

    if !report.flagged.is_empty() {
        w.heading("Support check", 13.0);
        for (sentence, v) in &report.flagged {
            let ink = if *v == engine::Verdict::Partial { Ink::Warn } else { Ink::Bad };
            w.paragraph(
                &[piece(format!("• {}: ", verdict_label(*v)), true, ink), piece(sentence.clone(), false, Ink::Text)],
                BODY,
                12.0,
                12.0,
            );
        }
    }

    if !report.conflicts.is_empty() {
        w.heading("Sources that disagree", 13.0);
        for c in &report.conflicts {
            let claims: Vec<String> = c.claims.iter().map(|(r, a)| format!("{} says “{a}”", r.text())).collect();
            w.paragraph(
                &[piece(format!("⚠ Step {}: ", c.step), true, Ink::Warn), piece(claims.join("; "), false, Ink::Text)],
                BODY,
                0.0,
                0.0,
            );
        }
    }

    if !report.steps.is_empty() {
        w.heading("Chain of actions", 13.0);
        for s in &report.steps {
            w.paragraph(
                &[
                    piece(format!("{}. {}: ", s.id, s.action), true, Ink::Text),
                    piece(s.question.clone(), false, Ink::Text),
                ],
                BODY,
                14.0,
                14.0,
            );
            let sources: Vec<String> = s.sources.iter().map(|r| r.text()).collect();
            let mut detail = format!("Answer: {} · {}", if s.answer.is_empty() { "—" } else { &s.answer }, s.outcome);
            if !sources.is_empty() {
                detail.push_str(&format!(" · sources: {}", sources.join(", ")));
            }
            w.paragraph(&[piece(detail, false, Ink::Muted)], 9.0, 14.0, 0.0);
            w.space(3.0);
        }
    }

    w.heading("Usage", 13.0);
    w.paragraph(&[piece(report.usage(), false, Ink::Text)], BODY, 0.0, 0.0);
    w.paragraph(
        &[piece(format!("Started {}, finished {}.", run.started_at, run.finished_at), false, Ink::Muted)],
        9.0,
        0.0,
        0.0,
    );

    if !report.sources.is_empty() {
        w.heading("References", 13.0);
        for (s, entry) in report.sources.iter().zip(&report.references) {
            let mut pieces = vec![piece(format!("[{}] ", s.number), true, Ink::Accent)];
            pieces.extend(rich(entry));
            w.paragraph(&pieces, BODY, 22.0, 22.0);
            let facts = s.facts(&plain(entry));
            w.paragraph(&[piece(facts.join(" · "), false, Ink::Muted)], 8.5, 22.0, 0.0);
            let passage = one_line(&s.evidence.text);
            if !passage.is_empty() {
                w.paragraph(&[piece(format!("“{passage}”"), false, Ink::Muted)], 8.5, 22.0, 0.0);
            }
            w.space(5.0);
        }
    }

    let footer = format!("Catena run {}", run.run_id);
    let pages = w.finish(&footer);
    let mut warnings = Vec::new();
    Ok(doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut warnings))
}

#[cfg(test)]
mod tests {
    use crate::testing::sample;
    use crate::{CitationStyle, ExportOptions, Format};

    fn text_of(bytes: &[u8]) -> (String, Option<u32>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.pdf");
        std::fs::write(&path, bytes).unwrap();
        let doc = extract::extract(&path, &extract::ExtractOptions::default()).unwrap();
        (doc.text, doc.pages)
    }

    #[test]
    fn the_pdf_reads_back_with_answer_references_and_chain() {
        let run = sample();
        let bytes = crate::render(&run, Format::Pdf, &ExportOptions { style: CitationStyle::Ieee }).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let (text, pages) = text_of(&bytes);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        eprintln!("{flat}");
        assert!(pages.unwrap() >= 1);
        for needle in [
            "When was Montréal founded, where is it, and how many people live there?",
            "was founded in 1642 by Paul de Chomedey[3].",
            "It lies on an island in the Saint Lawrence River[1][4].",
            "[3] ",
            "[5] ",
            "⚠ partly supported",
            "Chain of actions",
            "search the web: Where is Montréal?",
            "References",
            "Montréal — Wikipédia",
            "Géographie du Québec",
            "Population {estimates} 100% & growth_rate #1",
            "4 model calls",
        ] {
            assert!(flat.contains(needle), "PDF text lacks {needle:?}:\n{flat}");
        }
        // DejaVu has no CJK: those characters degrade to a visible box instead of vanishing.
        assert!(flat.contains("Montréal (□□□□) was founded"), "{flat}");
        // The markers carry the numbers the app shows (the evidence ids), never 1, 2, 3, 4 by order.
        assert!(!flat.contains("[2]"), "{flat}");
    }

    #[test]
    fn long_answers_flow_onto_more_pages() {
        let mut run = sample();
        let long = "Montréal was founded in 1642 by Paul de Chomedey [3]. ".repeat(400);
        run.answer = format!("{long}\n\nhttps://example.org/{}", "a".repeat(300));
        let bytes = crate::render(&run, Format::Pdf, &ExportOptions::default()).unwrap();
        let (text, pages) = text_of(&bytes);
        assert!(pages.unwrap() >= 4, "{pages:?}");
        // A marker stays on the line of its word, so every one of the 400 sentences reads back.
        assert_eq!(text.matches("Chomedey[3].").count(), 400);
        assert!(text.contains(&format!("1/{}", pages.unwrap())));
    }
}
