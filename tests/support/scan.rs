//! Scanned-document fixtures for the OCR tests: text drawn with cairo into a gray image (what a
//! scanner would produce from a printed page), saved as PNG, or placed as the only content of
//! a PDF page (an image-only "scan"), next to pages with a real text layer.

use lopdf::{Dictionary, Object, Stream, dictionary};

/// An 8-bit gray image.
#[derive(Debug, Clone)]
pub struct Gray {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// One byte a pixel, row by row.
    pub pixels: Vec<u8>,
}

/// Draws `lines` in black DejaVu Sans (40 px, lines 80 px apart, starting 100 px down and 60 px
/// in) on a white image of `width` × `height` pixels: at 200 DPI that is 14-point print.
pub fn text_image(lines: &[&str], width: u32, height: u32) -> Gray {
    let surface = cairo::ImageSurface::create(cairo::Format::Rgb24, width as i32, height as i32).unwrap();
    {
        let cr = cairo::Context::new(&surface).unwrap();
        cr.set_source_rgb(1.0, 1.0, 1.0);
        cr.paint().unwrap();
        cr.set_source_rgb(0.0, 0.0, 0.0);
        cr.select_font_face("DejaVu Sans", cairo::FontSlant::Normal, cairo::FontWeight::Normal);
        cr.set_font_size(40.0);
        for (i, line) in lines.iter().enumerate() {
            cr.move_to(60.0, 100.0 + 80.0 * i as f64);
            cr.show_text(line).unwrap();
        }
    }
    to_gray(surface)
}

fn to_gray(mut surface: cairo::ImageSurface) -> Gray {
    surface.flush();
    let (width, height, stride) = (surface.width() as usize, surface.height() as usize, surface.stride() as usize);
    let data = surface.data().unwrap();
    let mut pixels = Vec::with_capacity(width * height);
    for row in data.chunks(stride).take(height) {
        for px in row.chunks_exact(4).take(width) {
            let v = u32::from_ne_bytes([px[0], px[1], px[2], px[3]]);
            pixels.push(
                (((v >> 16) & 0xff) * 299 / 1000 + ((v >> 8) & 0xff) * 587 / 1000 + (v & 0xff) * 114 / 1000) as u8,
            );
        }
    }
    Gray { width: width as u32, height: height as u32, pixels }
}

/// The image with every column shifted up or down along a sine wave of `amplitude` pixels
/// and `wavelength` pixels: text still there, but so wavy that OCR reads it with little
/// confidence (as a badly warped page would be).
pub fn wave(image: &Gray, amplitude: f64, wavelength: f64) -> Gray {
    let (w, h) = (image.width as usize, image.height as usize);
    let mut pixels = vec![255u8; w * h];
    for x in 0..w {
        let dy = (amplitude * (std::f64::consts::TAU * x as f64 / wavelength).sin()).round() as isize;
        for y in 0..h {
            let from = y as isize - dy;
            if (0..h as isize).contains(&from) {
                pixels[y * w + x] = image.pixels[from as usize * w + x];
            }
        }
    }
    Gray { width: image.width, height: image.height, pixels }
}

/// The image as a PNG file.
pub fn png(image: &Gray) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&image.pixels).unwrap();
    }
    out
}

/// The images as the pages of one TIFF file (LZW-compressed, as scanners write them).
pub fn tiff(pages: &[Gray]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut encoder =
            tiff::encoder::TiffEncoder::new(&mut out).unwrap().with_compression(tiff::encoder::Compression::Lzw);
        for page in pages {
            encoder.write_image::<tiff::encoder::colortype::Gray8>(page.width, page.height, &page.pixels).unwrap();
        }
    }
    out.into_inner()
}

/// One page of [`pdf`].
pub enum Page {
    /// A real text layer: these lines in Helvetica.
    Text(Vec<String>),
    /// Only this image, filling the page at 200 DPI: no text layer at all.
    Scan(Gray),
}

/// A PDF with the given pages, written with lopdf (uncompressed, so every byte is ours).
pub fn pdf(pages: &[Page]) -> Vec<u8> {
    let mut doc = lopdf::Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut kids = Vec::new();
    for page in pages {
        let (width, height, content, resources) = match page {
            Page::Text(lines) => {
                let mut ops = String::from("BT /F1 14 Tf 72 720 Td 18 TL\n");
                for line in lines {
                    let escaped = line.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
                    ops.push_str(&format!("({escaped}) Tj T*\n"));
                }
                ops.push_str("ET\n");
                (612.0, 792.0, ops, dictionary! { "Font" => dictionary! { "F1" => font_id } })
            }
            Page::Scan(image) => {
                let image_id = doc.add_object(Stream::new(
                    dictionary! {
                        "Type" => "XObject", "Subtype" => "Image",
                        "Width" => image.width as i64, "Height" => image.height as i64,
                        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
                    },
                    image.pixels.clone(),
                ));
                let (w, h) = (image.width as f64 * 72.0 / 200.0, image.height as f64 * 72.0 / 200.0);
                let ops = format!("q {w} 0 0 {h} 0 0 cm /Im1 Do Q\n");
                (w, h, ops, dictionary! { "XObject" => dictionary! { "Im1" => image_id } })
            }
        };
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content.into_bytes()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(width as f32), Object::Real(height as f32)],
            "Contents" => content_id,
            "Resources" => resources,
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects
        .insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A letter-width scan (1700 × 700 px at 200 DPI) of `lines`.
pub fn scan(lines: &[&str]) -> Page {
    Page::Scan(text_image(lines, 1700, 700))
}

/// A page with a text layer holding `lines`.
pub fn text(lines: &[&str]) -> Page {
    Page::Text(lines.iter().map(|l| l.to_string()).collect())
}
