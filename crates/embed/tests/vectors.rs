//! The quantized vector set: its byte form, search order and scores against exact f32 cosine,
//! replacing and removing vectors, and recall on clustered data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use embed::vectors::Prefilter;
use embed::{EmbedError, VectorHit, VectorSet, dequantize, quantize};

fn gaussian(rng: &mut fastrand::Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let u = rng.f64().max(f64::MIN_POSITIVE);
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos()) as f32
        })
        .collect()
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// `count` unit vectors around `topics` random centres (cosine about 0.6 to their centre).
fn clustered(rng: &mut fastrand::Rng, dims: usize, topics: usize, count: usize) -> Vec<Vec<f32>> {
    let centres: Vec<Vec<f32>> = (0..topics).map(|_| unit(gaussian(rng, dims))).collect();
    let sigma = 1.3 / (dims as f32).sqrt();
    (0..count)
        .map(|_| {
            let centre = &centres[rng.usize(..topics)];
            unit(centre.iter().zip(gaussian(rng, dims)).map(|(c, e)| c + sigma * e).collect())
        })
        .collect()
}

#[test]
fn the_byte_form_keeps_a_vectors_direction() {
    let mut rng = fastrand::Rng::with_seed(1);
    for _ in 0..50 {
        let v: Vec<f32> = gaussian(&mut rng, 384).into_iter().map(|x| x * 3.0).collect();
        let bytes = quantize(&v);
        assert_eq!(bytes.len(), 384 + 4);
        let back = dequantize(&bytes, 384).unwrap();
        let length = back.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((length - 1.0).abs() < 1e-5, "the stored form is a unit vector: {length}");
        assert!(cosine(&v, &back) > 0.999, "{}", cosine(&v, &back));
    }
    // No direction: stored as zeros, read back as zeros.
    assert!(dequantize(&quantize(&[0.0; 8]), 8).unwrap().iter().all(|x| *x == 0.0));

    let err = dequantize(&quantize(&[1.0; 8]), 16).unwrap_err();
    assert!(matches!(err, EmbedError::Compute(_)));
    assert!(err.to_string().contains("it has 12 bytes, a 16-dimension vector has 20"), "{err}");
    let mut bad = quantize(&[1.0; 8]);
    bad[8..].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(dequantize(&bad, 8).is_err());
}

#[test]
fn search_ranks_by_cosine_with_scores_close_to_exact() {
    let mut rng = fastrand::Rng::with_seed(2);
    let vectors: Vec<Vec<f32>> = (0..500).map(|_| gaussian(&mut rng, 64)).collect();
    let mut set = VectorSet::new(64);
    for (i, v) in vectors.iter().enumerate() {
        set.insert(i as i64 / 10, (i % 10) as u32, v).unwrap();
    }
    assert_eq!((set.len(), set.dims(), set.is_empty()), (500, 64, false));

    let query = gaussian(&mut rng, 64);
    let hits = set.search(&query, 20);
    assert_eq!(hits.len(), 20);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score), "best first");
    for hit in &hits {
        let exact = cosine(&query, &vectors[(hit.doc_id * 10) as usize + hit.ordinal as usize]);
        assert!((hit.score - exact).abs() < 0.02, "{hit:?} vs {exact}");
    }
    // The best exact match is found first (its margin over the second is checked to be real).
    let mut exact: Vec<(f32, usize)> = vectors.iter().enumerate().map(|(i, v)| (cosine(&query, v), i)).collect();
    exact.sort_by(|a, b| b.0.total_cmp(&a.0));
    if exact[0].0 - exact[1].0 > 0.02 {
        assert_eq!((hits[0].doc_id * 10) as usize + hits[0].ordinal as usize, exact[0].1);
    }

    // A vector is its own nearest neighbour, at cosine ~1.
    let own = set.search(&vectors[123], 1);
    assert_eq!((own[0].doc_id, own[0].ordinal), (12, 3));
    assert!(own[0].score > 0.999, "{own:?}");

    assert!(set.search(&query, 0).is_empty());
    assert!(set.search(&[0.0; 64], 5).is_empty(), "a query with no direction finds nothing");
    assert!(set.search(&[1.0; 63], 5).is_empty(), "a query of another dimension finds nothing");
    assert_eq!(set.search(&query, 10_000).len(), 500);
}

#[test]
fn inserting_a_key_again_replaces_its_vector_and_bad_vectors_are_refused() {
    let mut set = VectorSet::new(3);
    set.insert(7, 0, &[1.0, 0.0, 0.0]).unwrap();
    set.insert(7, 1, &[0.0, 1.0, 0.0]).unwrap();
    set.insert(7, 0, &[0.0, 0.0, 2.0]).unwrap();
    assert_eq!(set.len(), 2);
    let hits = set.search(&[0.0, 0.0, 1.0], 2);
    assert_eq!((hits[0].doc_id, hits[0].ordinal), (7, 0));
    assert!(hits[0].score > 0.999);
    assert!(hits[1].score.abs() < 1e-6);
    assert!(set.search(&[1.0, 0.0, 0.0], 2).iter().all(|h| h.score < 0.5), "the old vector is gone");

    let err = set.insert(1, 0, &[1.0, 2.0]).unwrap_err();
    assert!(err.to_string().contains("it has 2 dimensions, the set holds 3"), "{err}");
    assert!(set.insert(1, 0, &[1.0, f32::NAN, 0.0]).is_err());
    assert!(set.insert_bytes(1, 0, &[1, 2, 3]).is_err());
    let mut minus_128 = quantize(&[1.0, 0.0, 0.0]);
    minus_128[1] = 0x80;
    assert!(set.insert_bytes(1, 0, &minus_128).is_err());
    assert_eq!(set.len(), 2);
}

#[test]
fn vectors_read_back_from_bytes_search_like_the_originals() {
    let mut rng = fastrand::Rng::with_seed(3);
    let vectors: Vec<Vec<f32>> = (0..300).map(|_| gaussian(&mut rng, 384)).collect();
    let (mut direct, mut stored) = (VectorSet::new(384), VectorSet::new(384));
    for (i, v) in vectors.iter().enumerate() {
        direct.insert(i as i64, 0, v).unwrap();
        stored.insert_bytes(i as i64, 0, &quantize(v)).unwrap();
    }
    for _ in 0..10 {
        let q = gaussian(&mut rng, 384);
        assert_eq!(direct.search(&q, 10), stored.search(&q, 10));
    }
}

#[test]
fn removing_a_document_removes_all_its_chunks_and_keeps_the_rest_findable() {
    let mut rng = fastrand::Rng::with_seed(4);
    let mut set = VectorSet::new(32);
    let mut vectors = Vec::new();
    for doc in 0..20i64 {
        for ordinal in 0..5u32 {
            let v = gaussian(&mut rng, 32);
            set.insert(doc, ordinal, &v).unwrap();
            vectors.push((doc, ordinal, v));
        }
    }
    set.remove_doc(3);
    set.remove_doc(0);
    set.remove_doc(99);
    assert_eq!(set.len(), 90);
    for (doc, ordinal, v) in &vectors {
        let hits = set.search(v, 90);
        assert!(hits.iter().all(|h| h.doc_id != 0 && h.doc_id != 3));
        if *doc != 0 && *doc != 3 {
            // Removal moves vectors around; each must still be found under its own key.
            assert_eq!((hits[0].doc_id, hits[0].ordinal), (*doc, *ordinal));
            assert!(hits[0].score > 0.99);
        }
    }
    // A removed key can come back.
    set.insert(3, 2, &vectors[17].2).unwrap();
    assert_eq!(set.search(&vectors[17].2, 1)[0].doc_id, 3);
    for doc in 0..20 {
        set.remove_doc(doc);
    }
    assert!(set.is_empty());
    assert!(set.search(&vectors[5].2, 3).is_empty());
}

/// The exact top `k` under the set's own (dequantized) vectors, ties by key.
fn exact_over_stored(vectors: &[Vec<f32>], query: &[f32], k: usize) -> Vec<(i64, u32)> {
    let q = dequantize(&quantize(query), query.len()).unwrap();
    let mut scored: Vec<(f32, i64)> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let stored = dequantize(&quantize(v), v.len()).unwrap();
            (stored.iter().zip(&q).map(|(a, b)| a * b).sum::<f32>(), i as i64)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(k).map(|(_, i)| (i, 0)).collect()
}

#[test]
fn a_large_set_searched_on_two_threads_finds_the_same_as_a_plain_scan() {
    let mut rng = fastrand::Rng::with_seed(5);
    let dims = 48;
    let vectors = clustered(&mut rng, dims, 40, embed::vectors::PARALLEL_MIN + 5_000);
    let mut set = VectorSet::new(dims);
    for (i, v) in vectors.iter().enumerate() {
        set.insert(i as i64, 0, v).unwrap();
    }
    for _ in 0..3 {
        let query = unit(gaussian(&mut rng, dims));
        let hits: Vec<(i64, u32)> = set.search(&query, 15).iter().map(|h| (h.doc_id, h.ordinal)).collect();
        let want = exact_over_stored(&vectors, &query, 15);
        // Scores may differ from the plain f32 sum in the last bits; compare the sets of keys
        // except where neighbours are within rounding of each other.
        let common = hits.iter().filter(|h| want.contains(h)).count();
        assert!(common >= 14, "{hits:?} vs {want:?}");
    }
}

#[test]
fn recall_at_10_against_exact_f32_search_stays_high_on_clustered_data() {
    let mut rng = fastrand::Rng::with_seed(6);
    let dims = 384;
    let mut vectors = clustered(&mut rng, dims, 50, 3_020);
    // Queries from the same topics as the stored vectors, as questions about the library are.
    let queries = vectors.split_off(3_000);
    let mut set = VectorSet::new(dims);
    for (i, v) in vectors.iter().enumerate() {
        set.insert(i as i64, 0, v).unwrap();
    }
    let mut found = 0;
    for q in &queries {
        let mut exact: Vec<(f32, usize)> = vectors.iter().enumerate().map(|(i, v)| (cosine(q, v), i)).collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top: Vec<usize> = exact[..10].iter().map(|e| e.1).collect();
        let hits: Vec<VectorHit> = set.search(q, 10);
        found += hits.iter().filter(|h| top.contains(&(h.doc_id as usize))).count();
    }
    let recall = found as f64 / (queries.len() * 10) as f64;
    assert!(recall >= 0.9, "recall@10 {recall}");
}

/// A prefilter that runs on small sets, so tests can exercise it quickly.
fn small_prefilter(share: usize) -> Prefilter {
    Prefilter { min_vectors: 1_000, share, per_k: 0 }
}

#[test]
fn the_prefilter_finds_what_the_exact_scan_finds_with_the_same_scores() {
    let mut rng = fastrand::Rng::with_seed(11);
    let dims = 384;
    let mut vectors = clustered(&mut rng, dims, 60, 6_040);
    let queries = vectors.split_off(6_000);
    let mut set = VectorSet::new(dims);
    for (i, v) in vectors.iter().enumerate() {
        set.insert(i as i64, 0, v).unwrap();
    }
    let exact: Vec<Vec<VectorHit>> = queries.iter().map(|q| set.search(q, 10)).collect();
    // Keeping 1 in 20 for exact scoring, as the default does.
    set.set_prefilter(small_prefilter(20));
    let (mut found, mut total) = (0, 0);
    for (q, want) in queries.iter().zip(&exact) {
        let hits = set.search(q, 10);
        assert_eq!(hits.len(), 10);
        for hit in &hits {
            // A hit the exact scan also found carries the exact scan's score: the prefilter only
            // chooses what to score.
            if let Some(same) = want.iter().find(|w| w.doc_id == hit.doc_id) {
                assert_eq!(same.score, hit.score);
                found += 1;
            }
        }
        total += want.len();
    }
    let recall = found as f64 / total as f64;
    assert!(recall >= 0.95, "recall@10 of the prefilter against the exact scan: {recall}");
    // Off again: the exact scan's results, exactly.
    set.set_prefilter(Prefilter::OFF);
    assert_eq!(set.search(&queries[0], 10), exact[0]);
}

#[test]
fn the_prefilter_keeps_up_with_replaced_moved_and_removed_vectors() {
    let mut rng = fastrand::Rng::with_seed(12);
    let dims = 64;
    let mut set = VectorSet::new(dims);
    set.set_prefilter(small_prefilter(50));
    for i in 0..3_000 {
        set.insert(i, 0, &unit(gaussian(&mut rng, dims))).unwrap();
    }
    // A replaced vector is found by its new direction, not its old one.
    let target = unit(gaussian(&mut rng, dims));
    set.insert(1_234, 0, &target).unwrap();
    let top = set.search(&target, 1);
    assert_eq!((top[0].doc_id, top[0].ordinal), (1_234, 0));
    assert!(top[0].score > 0.99, "{top:?}");
    // Removing a document moves the last vector into its slot; it is still found.
    let last = unit(gaussian(&mut rng, dims));
    set.insert(9_999, 0, &last).unwrap();
    set.remove_doc(5);
    let top = set.search(&last, 1);
    assert_eq!(top[0].doc_id, 9_999);
    assert!(set.search(&unit(gaussian(&mut rng, dims)), 50).iter().all(|h| h.doc_id != 5));
    // Grown by more than a fifth, the codes are rebuilt around the new mean: vectors that all
    // lean one way still rank the nearest first.
    let lean: Vec<f32> = (0..dims).map(|j| if j % 2 == 0 { 1.0 } else { 0.0 }).collect();
    for i in 0..2_000 {
        let v: Vec<f32> = gaussian(&mut rng, dims).iter().zip(&lean).map(|(e, l)| l + 0.3 * e).collect();
        set.insert(20_000 + i, 0, &v).unwrap();
    }
    let probe: Vec<f32> = gaussian(&mut rng, dims).iter().zip(&lean).map(|(e, l)| l + 0.3 * e).collect();
    set.insert(50_000, 0, &probe).unwrap();
    assert_eq!(set.search(&probe, 1)[0].doc_id, 50_000);
    // Shrunk far below the prefilter's size, the set is scanned exactly again.
    for doc in 0..4_900 {
        set.remove_doc(doc);
        set.remove_doc(20_000 + doc);
    }
    assert!(set.len() < 500, "{}", set.len());
    assert_eq!(set.search(&probe, 1)[0].doc_id, 50_000);
}
