//! The Store conformance suite: every behaviour the `trustdesk_store` traits promise, written
//! once against `&dyn Store` and run on every backend (`tests/sqlite.rs`, `tests/postgres.rs`),
//! plus [`pg`], the PostgreSQL harness every PostgreSQL test in the project uses.
//!
//! A backend joins the suite by implementing [`TestBackend`] and calling [`all_scenarios!`],
//! which expands to one `#[tokio::test]` per scenario (the test crate needs `tokio` as a
//! dependency).

pub mod pg;
pub mod scenarios;

use std::sync::Arc;

use async_trait::async_trait;
pub use trustdesk_store::{Backend, Store};

/// Opens a store on a backend's data: the first time, and again after `close`, on the same
/// data (scenarios that prove durability open twice).
#[async_trait]
pub trait StoreOpener: Send + Sync {
    async fn open(&self) -> Arc<dyn Store>;
}

/// A backend under test: a fresh, empty place for its data (temporary directory, new
/// database) per scenario.
#[async_trait]
pub trait TestBackend: StoreOpener + Sized + 'static {
    const KIND: Backend;
    async fn setup() -> Self;
}

/// Expands lists of scenarios into one `#[tokio::test]` each, run on `$backend`.
/// `store` scenarios take `&dyn Store`, `shared` ones `Arc<dyn Store>` (they spawn tasks),
/// `opener` ones a `&dyn StoreOpener` (they close and reopen).
#[macro_export]
macro_rules! scenario_tests {
    (
        $backend:ty;
        store: [$($store:ident),* $(,)?];
        shared: [$($shared:ident),* $(,)?];
        opener: [$($opener:ident),* $(,)?] $(;)?
    ) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $store() {
                let backend = <$backend as $crate::TestBackend>::setup().await;
                let store = $crate::StoreOpener::open(&backend).await;
                $crate::scenarios::$store(&*store).await;
                $crate::Store::close(&*store).await;
            }
        )*
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $shared() {
                let backend = <$backend as $crate::TestBackend>::setup().await;
                let store = $crate::StoreOpener::open(&backend).await;
                $crate::scenarios::$shared(::std::sync::Arc::clone(&store)).await;
                $crate::Store::close(&*store).await;
            }
        )*
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $opener() {
                let backend = <$backend as $crate::TestBackend>::setup().await;
                $crate::scenarios::$opener(
                    &backend,
                    <$backend as $crate::TestBackend>::KIND,
                )
                .await;
            }
        )*
    };
}

/// Every scenario of the suite, as tests on `$backend`. New scenarios are added here, so every
/// backend runs them.
#[macro_export]
macro_rules! all_scenarios {
    ($backend:ty) => {
        $crate::scenario_tests! {
            $backend;
            store: [
                customer_create_and_get,
                customer_identity_taken_on_create,
                customer_find_by_identity,
                customer_update,
                customer_update_identity_taken,
                customer_list_filter_and_pages,
                customer_merge,
                customer_merge_refusals,
                ticket_create_returns_thread,
                ticket_created_events,
                ticket_numbers_and_lookups,
                ticket_for_existing_customer,
                find_or_create_by_email,
                find_or_create_by_phone,
                find_or_create_first_match_wins,
                ticket_create_duplicate_first_message,
                list_tickets_filters,
                list_tickets_pagination,
                list_tickets_pagination_with_new_tickets,
                list_tickets_filtered_pagination,
                add_message_status_moves,
                add_message_round_trip,
                add_message_to_closed_ticket,
                add_message_duplicate_channel_id,
                update_ticket_records_changes,
                update_ticket_without_changes,
                update_ticket_refusals,
                events_chain_verifies,
                search_folds_diacritics,
                search_stems,
                search_all_words_across_fields,
                search_total_counts_tickets,
                search_empty_queries,
                search_syntax_is_inert,
                search_snippet_and_hit_fields,
                search_ranking,
                search_reindexes_customer_changes,
                search_reindexes_subject_and_merge,
                agents,
                agent_passwords,
                tokens,
                blobs,
                health_and_stats,
                promise_made_with_a_ticket,
                promise_made_alone,
                promise_settles_only_from_pending,
                promise_warning_recorded_once,
                promise_list_filters_and_pages,
                promise_made_and_kept_with_a_message,
                promise_clocks_follow_the_ticket_status,
                order_upsert_is_idempotent,
                order_links_customer_by_identity,
                shipments_and_scans,
                import_rejects_are_kept,
                intake_find_messages_by_channel_ids,
                intake_raw_sha256_on_messages,
                intake_quarantine,
            ];
            shared: [
                concurrent_create_ticket,
                concurrent_add_message,
                concurrent_settle_promise,
            ];
            opener: [
                data_survives_reopen,
            ];
        }
    };
}
