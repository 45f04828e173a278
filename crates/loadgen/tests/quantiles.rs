//! `quantile` and `median`, behind every p50/p99 that docs/performance.md
//! publishes: the sample at rank round((n − 1) × q) of the sorted samples,
//! checked against figures worked out by hand.

use std::time::Duration;

use backup_actuator_loadgen::{median, quantile};

fn ms(list: impl IntoIterator<Item = u64>) -> Vec<Duration> {
    list.into_iter().map(Duration::from_millis).collect()
}

#[test]
fn a_quantile_is_the_sample_at_rank_rounded_n_minus_1_times_q() {
    let samples = ms(1..=100);
    let at = |q: f64| quantile(&samples, q).as_millis();
    assert_eq!(at(0.0), 1);
    // 99 × 0.5 = 49.5 rounds to 50: the 51st sample.
    assert_eq!(at(0.5), 51);
    // 99 × 0.9 = 89.1 → 89: the 90th.
    assert_eq!(at(0.9), 90);
    // 99 × 0.99 = 98.01 → 98: the 99th.
    assert_eq!(at(0.99), 99);
    assert_eq!(at(1.0), 100);
}

#[test]
fn a_quantile_of_few_samples_is_one_of_them() {
    let samples = ms([10, 20, 30]);
    // Ranks 0, round(0.5) = 1, round(1.98) = 2.
    assert_eq!(quantile(&samples, 0.0), Duration::from_millis(10));
    assert_eq!(quantile(&samples, 0.25), Duration::from_millis(20));
    assert_eq!(quantile(&samples, 0.99), Duration::from_millis(30));
    let one = ms([7]);
    for q in [0.0, 0.5, 0.99, 1.0] {
        assert_eq!(quantile(&one, q), Duration::from_millis(7));
    }
}

#[test]
fn no_samples_give_zero_and_a_q_out_of_range_gives_an_end() {
    assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    let samples = ms([1, 2, 3]);
    assert_eq!(quantile(&samples, 1.5), Duration::from_millis(3));
    assert_eq!(quantile(&samples, -0.5), Duration::from_millis(1));
}

#[test]
fn the_median_sorts_the_samples_first() {
    let mut odd = ms([50, 10, 30, 20, 40]);
    assert_eq!(median(&mut odd), Duration::from_millis(30));
    assert_eq!(odd, ms([10, 20, 30, 40, 50]), "sorted in place");
    // An even count: rank round(1.5) = 2, the upper of the middle two.
    let mut even = ms([4, 1, 3, 2]);
    assert_eq!(median(&mut even), Duration::from_millis(3));
    assert_eq!(median(&mut []), Duration::ZERO);
}
