//! Many threads appending to one decision never share a seq.

use std::sync::Arc;

use attest_store::{Durability, Store, StoreError};

use crate::support::{open, revoke, StepClock, TempDir};

#[test]
fn concurrent_appends_get_distinct_contiguous_seqs() {
    let dir = TempDir::new("threads");
    let store = Arc::new(open(&dir.file(), StepClock::new(), Durability::Normal));
    store.create_decision("d", vec![]).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..20 {
                    store.append("d", vec![revoke(&format!("{t}-{i}"))], None).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let events = store.events("d").unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (0..160).collect::<Vec<_>>());
    // ts order is seq order.
    assert!(events
        .windows(2)
        .all(|w| w[0].timestamp().unwrap().unix_micros() < w[1].timestamp().unwrap().unix_micros()));
}

#[test]
fn compare_and_append_lets_exactly_one_racer_win_each_seq() {
    let dir = TempDir::new("cas");
    let store = Arc::new(open(&dir.file(), StepClock::new(), Durability::Full));
    store.create_decision("d", vec![]).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut wins = 0;
                let mut conflicts = 0;
                while wins < 5 {
                    let next = store.events("d").unwrap().len() as u64;
                    match store.append("d", vec![revoke(&format!("{t}"))], Some(next)) {
                        Ok(e) => {
                            assert_eq!(e[0].seq, next);
                            wins += 1;
                        }
                        Err(StoreError::SequenceConflict { expected, actual, .. }) => {
                            assert_eq!(expected, next);
                            assert!(actual > next);
                            conflicts += 1;
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                conflicts
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.events("d").unwrap().len(), 20);
}
