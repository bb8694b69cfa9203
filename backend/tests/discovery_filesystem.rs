//! `--filesystem=ROOT` discovery (codis-fe-spec.md §6.2) against the exact layout a dashboard writes:
//! `ROOT/data/codis3/<product>/topom`, `ROOT/temp/`, and the `ROOT/data.lck` lock file.

use codis_testkit::coordinators;
use codis_testkit::discovery;

use std::fs;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use codis_fe::discovery::{DiscoveryError, Source};
use coordinators::{product_nodes, side_nodes, TempDir};
use discovery::{map, Coordinator, Fs};

/// Holds an exclusive flock on ROOT/data.lck, as the dashboard does during every operation.
struct DashboardLock {
    _file: fs::File,
}

impl DashboardLock {
    fn take(root: &Path) -> DashboardLock {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join("data.lck"))
            .expect("open lock");
        // SAFETY: flock on a file descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(rc, 0, "take the dashboard lock");
        fs::write(
            root.join("data.lck"),
            "{\n    \"now\": \"2026-11-25 12:13:25\",\n    \"pid\": 23041\n}",
        )
        .expect("lock content");
        DashboardLock { _file: file }
    }

    fn is_held_by_someone(root: &Path) -> bool {
        let file = fs::File::open(root.join("data.lck")).expect("open lock");
        // SAFETY: as above; the probe's lock (if any) is released when `file` closes.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
    }
}

#[tokio::test]
async fn filesystem_lists_every_product_with_a_running_dashboard() {
    discovery::lists_every_product_with_a_running_dashboard(&Fs::fresh()).await;
}

#[tokio::test]
async fn filesystem_reads_while_the_dashboard_holds_its_lock() {
    let root = Fs::fresh();
    root.write_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    let lock = DashboardLock::take(root.path());
    assert!(
        DashboardLock::is_held_by_someone(root.path()),
        "the test must really hold the lock"
    );
    let source = root.source();
    for _ in 0..3 {
        assert_eq!(
            source.load().await.expect("load under lock").dashboards,
            map(&[("codis-demo", "127.0.0.1:18080")])
        );
    }
    drop(lock);
    assert!(
        !DashboardLock::is_held_by_someone(root.path()),
        "discovery must not take the lock either"
    );
}

#[tokio::test]
async fn filesystem_reports_a_product_without_dashboard_as_stopped() {
    discovery::reports_a_product_without_dashboard_as_stopped(&Fs::fresh()).await;
}

#[tokio::test]
async fn filesystem_reports_a_corrupt_topom_and_keeps_the_others() {
    discovery::reports_a_corrupt_topom_and_keeps_the_others(&Fs::fresh()).await;
}

#[tokio::test]
async fn filesystem_refuses_an_admin_addr_that_is_not_host_port() {
    discovery::refuses_an_admin_addr_that_is_not_host_port(&Fs::fresh()).await;
}

#[tokio::test]
async fn filesystem_refuses_product_names_codis_does_not_allow() {
    discovery::refuses_product_names_codis_does_not_allow(
        &Fs::fresh(),
        &["bad\nname", "x?y#", ".hidden", "-dash", "sp ace"],
    )
    .await;
}

#[tokio::test]
async fn filesystem_console_keeps_the_last_good_list_when_codis3_is_renamed() {
    discovery::console_keeps_the_last_good_list_when_codis3_is_renamed(&Fs::fresh()).await;
}

#[tokio::test]
async fn filesystem_console_keeps_a_product_whose_topom_breaks_or_vanishes() {
    discovery::console_keeps_a_product_whose_topom_breaks_or_vanishes(&Fs::fresh()).await;
}

#[tokio::test]
async fn filesystem_console_lists_a_product_first_seen_broken() {
    discovery::console_lists_a_product_first_seen_broken(&Fs::fresh()).await;
}

#[tokio::test]
async fn filesystem_rides_out_a_topom_rewritten_in_place() {
    // Something writes topom in place (not by rename): the first read sees half a file. The
    // retry 50 ms later sees the complete one. (If the machine is so slow that the first read
    // happens after the fix, the test passes without exercising the retry; it never fails falsely.)
    let root = Fs::fresh();
    root.write_all(&side_nodes("p")).await;
    let topom = root.path().join("data/codis3/p/topom");
    fs::write(&topom, "{\"admin_addr\": \"127.0.0.1:180").expect("half written");
    let fixer = {
        let topom = topom.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            fs::write(&topom, coordinators::topom_json("p", "127.0.0.1:18080")).expect("complete");
        })
    };
    let products = root.source().load().await.expect("load");
    fixer.join().expect("fixer");
    assert_eq!(products.dashboards, map(&[("p", "127.0.0.1:18080")]));
}

#[tokio::test]
async fn filesystem_without_codis3_is_an_error_and_an_empty_one_an_empty_list() {
    let root = Fs::fresh();
    fs::create_dir_all(root.path().join("data")).expect("mkdir");
    discovery::without_codis3_is_an_error_not_an_empty_list(&root).await;
    discovery::gives_an_empty_list_for_an_empty_codis3(&root).await;
}

#[tokio::test]
async fn filesystem_missing_root_is_an_error_naming_it() {
    let root = TempDir::new("fs");
    let missing = root.path().join("no-such-root");
    let started = Instant::now();
    let err = Source::Filesystem(missing.clone())
        .load()
        .await
        .expect_err("missing root");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(err, DiscoveryError::Unavailable { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}
