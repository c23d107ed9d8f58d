//! Calls in progress over HTTP (issue 19): fifty simultaneous starts on one payer that can pay
//! for three and a half grants, and sessions that survive SIGKILL while charges are in flight,
//! still hold their money after the restart, expire on time, and answer a resent end as a
//! duplicate.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::client::Client;
use crate::support::server::{serial, Server};
use crate::support::TOKEN;

/// A server on the demo data with the JSON API on and `sessions` as its `[sessions]`.
fn start(sessions: &str) -> Server {
    Server::start(&format!(
        "native_token = \"{TOKEN}\"\n[sessions]\n{sessions}"
    ))
}

fn post(client: &mut Client, target: &str, body: &str) -> (u16, Value) {
    let response = client.authorized(TOKEN, "POST", target, body);
    (response.status, response.json())
}

fn balance(client: &mut Client, payer: &str) -> Value {
    let response = client.authorized(TOKEN, "GET", &format!("/v1/balance?{payer}"), "");
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

#[test]
fn fifty_simultaneous_starts_on_money_for_three_and_a_half_grants() {
    let _serial = serial();
    let server = start("grant_s = 300");
    let mut client = server.client();
    // Alice pays 0.5 a minute to 370: 300 s hold 2.5. Brought down from 60 to 8.75 (51.25 =
    // 6,150 s), she can pay for three grants and half of a fourth.
    let (status, drained) = post(
        &mut client,
        "/v1/calls",
        r#"{"calls":[{"id":"drain","account":"alice","number":"37061234567","start":"2026-11-26 10:00:00","billsec":6150}]}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(drained["results"][0]["balance"], "8.750000", "{drained}");
    let barrier = Arc::new(Barrier::new(50));
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                let mut client = server.client();
                scope.spawn(move || {
                    barrier.wait();
                    post(
                        &mut client,
                        "/v1/sessions",
                        &format!(r#"{{"id":"p-{i}","account":"alice","number":"37061234567"}}"#),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (mut full, mut partial, mut refused) = (0, 0, 0);
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
        match (answer["allowed"].as_bool(), answer["granted_s"].as_u64()) {
            (Some(true), Some(300)) if answer["final"] == false => {
                assert_eq!(answer["reserved"], "2.500000", "{answer}");
                full += 1;
            }
            (Some(true), Some(150)) if answer["final"] == true => {
                assert_eq!(
                    (&answer["reserved"], &answer["available"]),
                    (&Value::from("1.250000"), &Value::from("0.000000")),
                    "{answer}"
                );
                partial += 1;
            }
            (Some(false), Some(0)) => {
                assert_eq!(
                    answer["reason"], "balance reserved by calls in progress",
                    "{answer}"
                );
                refused += 1;
            }
            _ => panic!("unexpected answer {answer}"),
        }
    }
    assert_eq!((full, partial, refused), (3, 1, 46));
    let held = balance(&mut client, "account=alice");
    assert_eq!(
        (&held["balance"], &held["reserved"], &held["available"]),
        (
            &Value::from("8.750000"),
            &Value::from("8.750000"),
            &Value::from("0.000000")
        )
    );
    // The four calls end (one of a minute, three unanswered): the minute is charged, and
    // nothing is held any more.
    let granted: Vec<&str> = answers
        .iter()
        .filter(|(_, a)| a["allowed"] == true)
        .map(|(_, a)| a["id"].as_str().unwrap())
        .collect();
    for (n, id) in granted.iter().enumerate() {
        let billsec = if n == 0 { 60 } else { 0 };
        let (status, ended) = post(
            &mut client,
            "/v1/sessions/end",
            &format!(r#"{{"id":"{id}","billsec":{billsec}}}"#),
        );
        assert_eq!(
            (status, &ended["duplicate"]),
            (200, &Value::from(false)),
            "{ended}"
        );
    }
    let after = balance(&mut client, "account=alice");
    assert_eq!(
        (&after["balance"], &after["reserved"], &after["available"]),
        (
            &Value::from("8.250000"),
            &Value::from("0.000000"),
            &Value::from("8.250000")
        )
    );
    let metrics = server.admin_request("GET", "/metrics").body;
    for (name, value) in [
        ("ratel_sessions_open", 0.0),
        ("ratel_sessions_started_total", 4.0),
        ("ratel_sessions_refused_total", 46.0),
    ] {
        assert_eq!(
            crate::support::probe::metric(&metrics, name),
            Some(value),
            "{name}"
        );
    }
}

#[test]
fn sessions_survive_sigkill_hold_their_money_and_expire_on_time() {
    let _serial = serial();
    // Grants of 3 s, closed 2 s after they run out.
    let mut server = start("grant_s = 3\ngrace_s = 2");
    let mut client = server.client();
    let opened = Instant::now();
    for id in ["k-1", "k-2", "k-3"] {
        let (status, granted) = post(
            &mut client,
            "/v1/sessions",
            &format!(r#"{{"id":"{id}","account":"alice","number":"37061234567"}}"#),
        );
        assert_eq!(
            (status, granted["granted_s"].as_u64()),
            (200, Some(3)),
            "{granted}"
        );
    }
    let (status, ended) = post(
        &mut client,
        "/v1/sessions/end",
        r#"{"id":"k-1","billsec":2}"#,
    );
    assert_eq!(status, 200, "{ended}");
    // Charges in flight on other connections when the server dies.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let charging: Vec<_> = (0..2)
        .map(|t| {
            let mut client = server.client();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let body = format!(
                        r#"{{"calls":[{{"id":"f-{t}-{n}","account":"bob","number":"12125550100","start":"2026-11-26 10:00:00","billsec":6}}]}}"#
                    );
                    if client.try_authorized(TOKEN, "POST", "/v1/calls", &body).is_none() {
                        break;
                    }
                    n += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    server.kill_and_restart();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for thread in charging {
        thread.join().unwrap();
    }
    let mut client = server.client();
    // k-2 and k-3 still hold 3 s each (0.025 each at 0.5 a minute); k-1 was charged 2 s.
    let held = balance(&mut client, "account=alice");
    assert_eq!(
        (&held["balance"], &held["reserved"]),
        (&Value::from("59.983333"), &Value::from("0.050000")),
        "{held}"
    );
    let (status, again) = post(
        &mut client,
        "/v1/sessions/end",
        r#"{"id":"k-1","billsec":2}"#,
    );
    assert_eq!(
        (status, &again["duplicate"], &again["cost"]),
        (200, &Value::from(true), &Value::from("0.016667")),
        "{again}"
    );
    // They expire 5 s after their grant (3 s, then 2 s of grace), charged the 3 s granted.
    let deadline = opened + Duration::from_secs(12);
    loop {
        let now = balance(&mut client, "account=alice");
        if now["reserved"] == "0.000000" {
            assert!(
                opened.elapsed() >= Duration::from_secs(4),
                "expired after {:?}",
                opened.elapsed()
            );
            assert_eq!(now["balance"], "59.933333", "{now}");
            break;
        }
        assert!(Instant::now() < deadline, "never expired: {now}");
        std::thread::sleep(Duration::from_millis(50));
    }
    for id in ["k-2", "k-3"] {
        let (status, late) = post(
            &mut client,
            "/v1/sessions/end",
            &format!(r#"{{"id":"{id}","billsec":1}}"#),
        );
        assert_eq!(
            (status, &late["duplicate"], &late["rated_s"]),
            (200, &Value::from(true), &Value::from(3)),
            "{late}"
        );
    }
    let metrics = server.admin_request("GET", "/metrics").body;
    assert_eq!(
        crate::support::probe::metric(&metrics, "ratel_sessions_expired_total"),
        Some(2.0)
    );
}
