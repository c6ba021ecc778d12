//! Calibrates the MRFS keep/replace threshold τ on multi-hop QA records (JSON Lines in the
//! `shared/data/multihop` schema) and compares the leakage-free MRFS with the released formula.
//!
//! ```text
//! cargo run -p engine --example calibrate_mrfs -- path/to/hotpotqa_distractor.jsonl [--split train]
//! ```
//!
//! Only records of the chosen split (default `train`) are read, so dev records stay held out.
//! For each record with a non-yes/no answer: the gold answer is a positive, and the answer of the
//! next record (in file order, cyclically) of the same `type` and answer shape is a negative; both
//! are scored against the record's supporting paragraphs (`title. sentences`), one reference each.

// A program of its own reads its records from disk and its flags from the command line; the
// engine's no-I/O rule (crates/engine/clippy.toml) applies to the library.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::HashMap;
use std::io::BufRead;

use engine::mrfs;

#[derive(serde::Deserialize)]
struct Record {
    split: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    answer: String,
    context: Vec<(String, Vec<String>)>,
    supporting_titles: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: calibrate_mrfs <records.jsonl> [--split train]")?;
    let mut split = "train".to_string();
    while let Some(a) = args.next() {
        if a == "--split" {
            split = args.next().ok_or("--split needs a value")?;
        }
    }
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    let mut records = Vec::new();
    for line in file.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(&line)?;
        if r.split == split {
            records.push(r);
        }
    }
    let keyed: Vec<(usize, String)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let s = engine::mrfs::answer_shape(&r.answer)?;
            Some((i, format!("{}/{}", r.kind.as_deref().unwrap_or("-"), s)))
        })
        .collect();
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in &keyed {
        groups.entry(k.as_str()).or_default().push(*i);
    }

    let (mut pos, mut neg, mut rpos, mut rneg) = (vec![], vec![], vec![], vec![]);
    let mut per_shape: HashMap<String, (Vec<f64>, Vec<f64>)> = HashMap::new();
    for (i, key) in &keyed {
        let r = &records[*i];
        let refs: Vec<String> = r
            .context
            .iter()
            .filter(|(t, _)| r.supporting_titles.contains(t))
            .map(|(t, s)| format!("{t}. {}", s.concat()))
            .collect();
        if refs.is_empty() {
            continue;
        }
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        let group = &groups[key.as_str()];
        let at = group.iter().position(|j| j == i).unwrap_or(0);
        let negative = (1..group.len())
            .map(|d| &records[group[(at + d) % group.len()]].answer)
            .find(|a| a.trim().to_lowercase() != r.answer.trim().to_lowercase());
        let Some(negative) = negative else { continue };
        let (p, n) = (mrfs::score(&r.answer, &refs), mrfs::score(negative, &refs));
        pos.push(p);
        neg.push(n);
        rpos.push(mrfs::released_score(&r.answer, &refs));
        rneg.push(mrfs::released_score(negative, &refs));
        let e = per_shape.entry(key.clone()).or_default();
        e.0.push(p);
        e.1.push(n);
    }

    println!("records in split {split}: {}, scored pairs: {}", records.len(), pos.len());
    let (tau, bacc) = mrfs::best_threshold(&pos, &neg);
    println!(
        "leakage-free MRFS: AUROC {:.4}  best τ {:.4} (balanced accuracy {:.4})",
        mrfs::auroc(&pos, &neg),
        tau,
        bacc
    );
    let bacc_at = |p: &[f64], n: &[f64], t: f64| {
        let tpr = p.iter().filter(|&&s| s >= t).count() as f64 / p.len() as f64;
        let tnr = n.iter().filter(|&&s| s < t).count() as f64 / n.len() as f64;
        (tpr + tnr) / 2.0
    };
    println!(
        "  default τ {:.2}: balanced accuracy {:.4}",
        mrfs::DEFAULT_THRESHOLD,
        bacc_at(&pos, &neg, mrfs::DEFAULT_THRESHOLD)
    );
    for t in [0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9] {
        println!("  τ {t:.2}: balanced accuracy {:.4}", bacc_at(&pos, &neg, t));
    }
    let (rtau, rbacc) = mrfs::best_threshold(&rpos, &rneg);
    println!(
        "released formula:  AUROC {:.4}  at τ=2 balanced accuracy {:.4}; best τ {:.4} ({:.4})",
        mrfs::auroc(&rpos, &rneg),
        bacc_at(&rpos, &rneg, 2.0 + 1e-12),
        rtau,
        rbacc
    );
    let mut keys: Vec<_> = per_shape.keys().cloned().collect();
    keys.sort();
    for k in keys {
        let (p, n) = &per_shape[&k];
        println!("  {k:<18} n={:<4} AUROC {:.4}", p.len(), mrfs::auroc(p, n));
    }
    Ok(())
}
