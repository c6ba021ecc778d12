//! The reader on written passages: sentence splitting, answer types, coverage.

use super::*;

fn ev(id: u32, title: &str, text: &str) -> EvidenceRecord {
    crate::answer::tests::ev(id, 1, title, text)
}

fn texts(passage: &str) -> Vec<String> {
    sentences(passage).into_iter().map(|s| s.text).collect()
}

/// The short answer the reader gives over these passages, checked against the evidence text at
/// its span.
fn short(question: &str, passages: &[EvidenceRecord]) -> Option<String> {
    let refs: Vec<&EvidenceRecord> = passages.iter().collect();
    let r = read(question, &refs)?;
    let (text, [a, b]) = r.short?;
    let e = passages.iter().find(|e| e.id == r.evidence_id)?;
    let at: String = e.text.chars().skip(a).take(b - a).collect();
    // Line breaks and hyphens are read away, so compare without them.
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(squash(&at), squash(&text), "the span must point at the short answer in {:?}", e.text);
    Some(text)
}

#[test]
fn pdf_line_breaks_and_hyphenation_are_read_away() {
    let passage =
        "The committee approved the new infor-\nmation policy on\nMonday after a long de-\nbate. Members voted 7 to 2.";
    assert_eq!(
        texts(passage),
        ["The committee approved the new information policy on Monday after a long debate.", "Members voted 7 to 2."]
    );
}

#[test]
fn abbreviations_initials_and_decimals_end_no_sentence() {
    let passage = "Dr. Smith moved to the U.S. in 1990. See Fig. 3 and No. 12 in the list. J. R. R. Tolkien \
                   wrote it, as Jones et al. (2020) note. The rate rose 3.5 points. No. That was all.";
    assert_eq!(
        texts(passage),
        [
            "Dr. Smith moved to the U.S. in 1990.",
            "See Fig. 3 and No. 12 in the list.",
            "J. R. R. Tolkien wrote it, as Jones et al. (2020) note.",
            "The rate rose 3.5 points.",
            "No.",
            "That was all."
        ]
    );
}

#[test]
fn list_items_headings_and_blank_lines_start_sentences() {
    let passage = "Introduction\nThis report covers the budget of the district for the coming fiscal year and more.\n\
                   The items are:\n• salaries for teachers\n• new buses\n1. repairs to the roof\n(a) a new gym\n\nEnd of report";
    assert_eq!(
        texts(passage),
        [
            "Introduction",
            "This report covers the budget of the district for the coming fiscal year and more.",
            "The items are:",
            "• salaries for teachers",
            "• new buses",
            "1. repairs to the roof",
            "(a) a new gym",
            "End of report"
        ]
    );
}

#[test]
fn spans_point_into_the_passage() {
    let passage = "First line of text\nthat goes on. Second one, hyphen-\nated here.";
    for s in sentences(passage) {
        let (a, b) = s.span().unwrap();
        let original: String = passage.chars().skip(a).take(b - a).collect();
        assert_eq!(original.replace("-\n", "").replace('\n', " "), s.text);
    }
}

#[test]
fn question_types() {
    for (q, want) in [
        ("Who designed the Eiffel Tower?", Some(Expect::Person)),
        ("When was the bridge opened?", Some(Expect::Date)),
        ("In what year did the mill close?", Some(Expect::Year)),
        ("How much did the senator's train trip cost?", Some(Expect::Money)),
        ("What percentage of voters turned out?", Some(Expect::Percent)),
        ("How many employees does the plant have?", Some(Expect::Quantity)),
        ("How long is the tunnel?", Some(Expect::Quantity)),
        ("Where is the headquarters?", Some(Expect::Place)),
        ("In which city was the treaty signed?", Some(Expect::Place)),
        ("What are the modules of the library?", Some(Expect::List)),
        ("Which hash function does the protocol use?", Some(Expect::Name)),
        ("What is the arXiv identifier of the paper?", Some(Expect::Identifier)),
        ("What is the Docket No. of the proposed rule?", Some(Expect::Identifier)),
        ("At what time does the meeting start?", Some(Expect::Time)),
        ("What is a block header?", None),
    ] {
        assert_eq!(expect(q), want, "{q}");
    }
}

#[test]
fn person() {
    let p = [
        ev(
            1,
            "Tower history",
            "The tower was built for the 1889 World's Fair. It was designed by the engineer Maurice Koechlin and built by the company of Gustave Eiffel.",
        ),
        ev(2, "Visitors", "The tower is visited by millions of people every year."),
    ];
    assert_eq!(short("Who designed the tower?", &p).as_deref(), Some("Maurice Koechlin"));
}

#[test]
fn a_weekday_is_no_name() {
    let p = [ev(1, "Minutes", "The board met on Monday evening, as Cupertino Union School District requires.")];
    assert_eq!(short("Who chairs the Cupertino Union School District board?", &p), None);
    let p = [ev(1, "Minutes", "On Monday the Cupertino Union School District board was chaired by Josephine Lucey.")];
    assert_eq!(short("Who chairs the Cupertino Union School District board?", &p).as_deref(), Some("Josephine Lucey"));
}

#[test]
fn a_date_is_no_count() {
    let p = [ev(
        1,
        "Audit",
        "We have audited the balance sheets of the company as of December 31, 2021 and 2020, and the 31 May 2019 notes.",
    )];
    assert_eq!(short("How many employees did the company have?", &p), None);
    let p = [ev(1, "Staff", "As of December 31, 2021, the company had 412 employees in two offices.")];
    assert_eq!(short("How many employees did the company have?", &p).as_deref(), Some("412 employees"));
    // A year-shaped number with a unit is a count.
    let p = [ev(1, "Town", "In 1990 the town had 1500 inhabitants and two schools.")];
    assert_eq!(short("How many inhabitants did the town have?", &p).as_deref(), Some("1500 inhabitants"));
}

#[test]
fn date_and_year() {
    let p = [ev(
        1,
        "Bridge",
        "Work started in 1931. The bridge was opened to traffic on May 27, 1937, after four years of work.",
    )];
    assert_eq!(short("When was the bridge opened to traffic?", &p).as_deref(), Some("May 27, 1937"));
    assert_eq!(short("In what year did work on the bridge start?", &p).as_deref(), Some("1931"));
    let uk = [ev(1, "Ada", "Ada Lovelace was born in London on 10 December 1815.")];
    assert_eq!(short("When was Ada Lovelace born?", &uk).as_deref(), Some("10 December 1815"));
}

#[test]
fn money() {
    let p = [ev(1, "Expenditures", "OFFICE SUPPLIES 45.10\nTRAIN FARE WASHINGTON TO NEW YORK 618.00\nHOTEL 1,204.50")];
    assert_eq!(short("How much was the train fare?", &p).as_deref(), Some("618.00"));
    let q =
        [ev(1, "Budget", "The district spent $2.4 million on new buses in 2016, against $1.9 million a year earlier.")];
    assert_eq!(short("How much did the district spend on new buses in 2016?", &q).as_deref(), Some("$2.4 million"));
}

#[test]
fn two_names_that_fit_alike_give_no_short_answer() {
    let p =
        [ev(1, "Club history", "The founders of the rowing club, Ann Leigh and Robert Hale, met at Oxford in 1881.")];
    assert_eq!(short("Who founded the rowing club?", &p), None);
    let refs: Vec<&EvidenceRecord> = p.iter().collect();
    let r = read("Who founded the rowing club?", &refs).unwrap();
    assert!(r.sentence.contains("Ann Leigh and Robert Hale"), "{}", r.sentence);
}

#[test]
fn house_numbers_and_month_names_are_not_answers() {
    let p = [ev(
        1,
        "Properties",
        "We maintain our corporate office at 6480 Cameron Street, Suite 305, Las Vegas, where we occupy approximately 14,000 square feet.",
    )];
    assert_eq!(short("How big is the Las Vegas office?", &p).as_deref(), Some("14,000 square"));
    let d = [ev(1, "DPR", "We use the English Wikipedia dump from Dec. 20, 2018 as the source documents.")];
    assert_ne!(short("Which English Wikipedia dump is used as the source documents?", &d).as_deref(), Some("Dec"));
}

#[test]
fn identifiers_and_times() {
    let p = [ev(
        1,
        "Preprint",
        "DSPy: Compiling Declarative Language Model Calls. arXiv:2310.03714v1 [cs.CL] 5 Oct 2023. Preprint.",
    )];
    assert_eq!(short("What is the arXiv identifier of the DSPy preprint?", &p).as_deref(), Some("arXiv:2310.03714v1"));
    let d = [ev(
        1,
        "Federal Register",
        "You may send comments, using the procedures found in 14 CFR 11.43, identified by Docket No. FAA–2020–0686; Product Identifier 2019–NM–035–AD.",
    )];
    assert_eq!(short("What is the docket number of the proposed rule?", &d).as_deref(), Some("FAA–2020–0686"));
    let t = [ev(
        1,
        "Agenda",
        "Special Meeting of the Board, April 6, 2016. The special meeting starts at 7:30 a.m. in the district office.",
    )];
    assert_eq!(short("At what time does the special meeting start?", &t).as_deref(), Some("7:30 a.m."));
}

#[test]
fn quantity_with_unit_and_percentage() {
    let p = [ev(1, "Plant", "Opened in 1998, the plant employs 1,250 workers and covers 42 hectares.")];
    assert_eq!(short("How many workers does the plant employ?", &p).as_deref(), Some("1,250 workers"));
    assert_eq!(short("How large an area does the plant cover?", &p).as_deref(), Some("42 hectares"));
    let v = [ev(1, "Election", "Turnout reached 61.4% in the county, up from 55 percent in 2012.")];
    assert_eq!(short("What percentage was the turnout in the county?", &v).as_deref(), Some("61.4%"));
}

#[test]
fn place() {
    let p = [ev(1, "Magazine", "Arthur's Magazine was an American literary periodical published in Philadelphia.")];
    assert_eq!(short("Where was Arthur's Magazine published?", &p).as_deref(), Some("Philadelphia"));
}

#[test]
fn lists() {
    let p = [ev(1, "Modules", "The library offers three modules: Predict, ChainOfThought and ReAct. Each is a class.")];
    assert_eq!(
        short("What are the modules the library offers?", &p).as_deref(),
        Some("Predict, ChainOfThought and ReAct")
    );
}

#[test]
fn a_short_answer_never_repeats_the_question() {
    let p = [ev(1, "Tower", "The Eiffel Tower was designed by Maurice Koechlin.")];
    assert_eq!(short("Who designed the Eiffel Tower?", &p).as_deref(), Some("Maurice Koechlin"));
    // Nothing but the question's own name: no short answer.
    let q = [ev(1, "Tower", "The Eiffel Tower is tall and was designed with care.")];
    assert_eq!(short("Who designed the Eiffel Tower?", &q), None);
}

#[test]
fn the_answering_sentence_beats_a_sentence_that_only_shares_words() {
    let p = [ev(
        1,
        "Ethereum",
        "Ethereum uses a hash function in many places. The hash function used throughout is Keccak-256, \
         a variant of SHA-3. Hashes are 32 bytes long.",
    )];
    let refs: Vec<&EvidenceRecord> = p.iter().collect();
    let r = read("Which hash function does Ethereum use?", &refs).unwrap();
    assert!(r.sentence.contains("Keccak-256"), "{}", r.sentence);
    assert_eq!(r.short.map(|s| s.0).as_deref(), Some("Keccak-256"));
}

#[test]
fn coverage_refuses_unrelated_passages() {
    let p = [
        ev(
            1,
            "Steel datasheet",
            "The steel grade was designed for towers and bridges. Its tensile strength is 400 MPa.",
        ),
        ev(2, "Agenda", "The board designed a new policy for the district in April 2016."),
    ];
    let refs: Vec<&EvidenceRecord> = p.iter().collect();
    assert!(!covers("Who designed the Eiffel Tower?", &refs));
    assert!(!covers("Who painted the Mona Lisa?", &refs));
    assert!(!covers("What is the boiling point of mercury?", &refs));
}

#[test]
fn coverage_accepts_paraphrased_questions() {
    let p = [
        ev(1, "Senate expenditures", "TRAIN FARE WASHINGTON TO NEW YORK 618.00 for the senator's trip to the hearing."),
        ev(2, "Steel datasheet", "The steel grade has a tensile strength of 400 MPa and a yield strength of 245 MPa."),
    ];
    let refs: Vec<&EvidenceRecord> = p.iter().collect();
    assert!(covers("How much did the senator's train trip cost?", &refs));
    assert!(covers("What is the tensile strength of the steel?", &refs));
    assert!(covers("What tensile strength does the steel have?", &refs));
}

/// Similarities in meaning for every sentence of `passages`: `close` for the sentences that
/// contain `near`, 0.1 for the rest (as an embedding model scores unrelated text).
fn sims_for(passages: &[EvidenceRecord], near: &str, close: f32) -> SentenceSims {
    passages
        .iter()
        .flat_map(|e| {
            sentences(&e.text)
                .into_iter()
                .enumerate()
                .map(move |(i, s)| ((e.id, i), if s.text.contains(near) { close } else { 0.1 }))
        })
        .collect()
}

#[test]
fn a_question_in_other_words_is_covered_and_read_by_meaning() {
    let p = [
        ev(
            1,
            "Board agenda",
            "The meeting opens at 6:00 p.m. in the district office. Closed session: public employee \
             performance evaluation, Superintendent Wendy Gudalewicz. The board adjourns at 9:00 p.m.",
        ),
        ev(2, "Budget", "The district budget for the year is balanced and reserves stay above three percent."),
    ];
    let refs: Vec<&EvidenceRecord> = p.iter().collect();
    let q = "Whose work were the school trustees appraising behind closed doors?";
    // By words alone, nothing here is asked about: "closed" is the only word it shares.
    assert!(!covers(q, &refs));
    let sims = sims_for(&p, "Gudalewicz", 0.62);
    assert!(covers_with(q, &refs, Some(&sims)));
    let r = read_with(q, &refs, Some(&sims)).unwrap();
    assert!(r.sentence.contains("Wendy Gudalewicz"), "{}", r.sentence);
    // A passage merely on the topic is not close enough to answer.
    let loose = sims_for(&p, "Gudalewicz", 0.35);
    assert!(!covers_with(q, &refs, Some(&loose)));
}

#[test]
fn meaning_does_not_stand_in_for_a_named_thing_unless_it_is_very_close() {
    let p = [ev(
        1,
        "Paris landmarks",
        "The wrought-iron lattice tower on the Champ de Mars was built for the 1889 World's Fair.",
    )];
    let refs: Vec<&EvidenceRecord> = p.iter().collect();
    let q = "Who designed the Eiffel Tower?";
    assert!(!covers_with(q, &refs, Some(&sims_for(&p, "lattice", 0.55))));
    assert!(covers_with(q, &refs, Some(&sims_for(&p, "lattice", 0.8))));
}

#[test]
fn table_findings_give_their_value() {
    let f = "Team with the highest Stanley Cups: Maple Leafs (Stanley Cups 13, row 3)";
    let (text, [a, b]) = table_answer(f).unwrap();
    assert_eq!(text, "Maple Leafs");
    assert_eq!(f.chars().skip(a).take(b - a).collect::<String>(), "Maple Leafs");
    assert_eq!(table_answer("no colon here"), None);
}

#[test]
fn stemming_folds_related_words() {
    assert_eq!(stem("designed"), stem("designer"));
    assert_eq!(stem("elections"), stem("elected"));
    assert_eq!(stem("countries"), "country");
    assert_eq!(stem("magazine"), stem("magazines"));
    assert_eq!(stem("table"), stem("tables"));
    assert_eq!(stem("house"), stem("houses"));
    assert_eq!(stem("1844"), "1844");
}
