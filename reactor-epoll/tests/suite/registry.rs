//! The registry under concurrent use (CONFORMANCE.md D,
//! `wake.registry_thread_safe`).

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use baton_protocol::Interest;

use super::util::{NewReactor, pair};

/// Four threads register, reregister and deregister in a loop while a fifth
/// parks: no error, and the count is back at its baseline.
pub(crate) fn registry_thread_safe(new: NewReactor) {
    let r = new();
    let baseline = r.stats().registrations;
    let stop = Arc::new(AtomicBool::new(false));
    let parker = {
        let (r, stop) = (r.clone(), stop.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                r.park(Some(Duration::from_millis(5)), true).unwrap();
            }
        })
    };
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let r = r.clone();
            thread::spawn(move || {
                for _ in 0..250 {
                    let (a, b) = pair();
                    let ka = r.register(a.as_raw_fd(), Interest::BOTH).unwrap();
                    let kb = r.register(b.as_raw_fd(), Interest::READ).unwrap();
                    r.reregister(ka, Interest::READ).unwrap();
                    r.reregister(kb, Interest::BOTH).unwrap();
                    r.deregister(ka).unwrap();
                    r.deregister(kb).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    r.unpark();
    parker.join().unwrap();
    assert_eq!(r.stats().registrations, baseline);
}

/// `wake.register_from_other_thread_during_park`: a source registered while
/// the reactor is parked has its event delivered in that park or promptly
/// after.
pub(crate) fn register_from_other_thread_during_park(new: NewReactor) {
    let r = new();
    let (a, b) = pair();
    let w = super::util::Wakes::new();
    let registrar = {
        let (r, w) = (r.clone(), w.clone());
        thread::spawn(move || {
            let key = r.register(a.as_raw_fd(), Interest::READ).unwrap();
            assert!(
                w.poll(&*r, key, baton_protocol::Direction::Read)
                    .is_pending()
            );
            use std::io::Write;
            (&b).write_all(&[1]).unwrap();
            (key, a, b)
        })
    };
    super::util::park_until(&*r, || w.count() > 0);
    let (key, _a, _b) = registrar.join().unwrap();
    r.deregister(key).unwrap();
}
