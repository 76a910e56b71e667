// @generated from migrations/; `tests/it/schema.rs` checks it against the migrated database.

diesel::table! {
    account_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        purpose -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    consents (id) {
        id -> Int8,
        user_id -> Int8,
        policy_version -> Text,
        accepted_at -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Int8,
        kind -> Text,
        payload -> Jsonb,
        dedupe_key -> Nullable<Text>,
        run_at -> Timestamptz,
        attempts -> Int4,
        max_attempts -> Int4,
        locked_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        done_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Int8,
        event_key -> Text,
        user_id -> Nullable<Int8>,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        claimed_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        post_id -> Nullable<Int8>,
        content_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    rate_limits (key, window_start) {
        key -> Text,
        window_start -> Timestamptz,
        hits -> Int4,
    }
}

diesel::table! {
    search_outbox (id) {
        id -> Int8,
        topic_id -> Int8,
        post_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        xid -> Int8,
    }
}

diesel::table! {
    search_outbox_pruned (id) {
        id -> Int2,
        below_xid -> Int8,
    }
}

diesel::table! {
    sessions (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Bytea,
        user_agent -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    internal_notes (id) {
        id -> Int8,
        topic_id -> Int8,
        author_id -> Int8,
        body_md -> Text,
        body_html -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        username_key -> Text,
        email -> Text,
        email_verified_at -> Nullable<Timestamptz>,
        password_hash -> Text,
        role -> Text,
        locale -> Nullable<Text>,
        privacy_version -> Text,
        privacy_accepted_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        notify_reply -> Text,
        notify_mention -> Text,
        notify_subscribed -> Text,
        digest_weekly -> Bool,
        notify_status -> Text,
        silenced_until -> Nullable<Timestamptz>,
        suspended_until -> Nullable<Timestamptz>,
        flags_agreed -> Int4,
        flags_disagreed -> Int4,
        honor -> Int4,
        level -> Int2,
        title -> Nullable<Text>,
        erased_at -> Nullable<Timestamptz>,
        username_skeleton -> Nullable<Text>,
        color_scheme -> Text,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    bug_reports (topic_id) {
        topic_id -> Int8,
        product_id -> Int8,
        os_version -> Text,
        app_version -> Nullable<Text>,
        reproducibility -> Text,
        severity -> Text,
        steps -> Text,
        expected -> Text,
        actual -> Text,
    }
}

diesel::table! {
    products (id) {
        id -> Int8,
        slug -> Text,
        name_zh -> Text,
        name_en -> Text,
        line -> Text,
        team_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    satisfaction (topic_id, user_id) {
        topic_id -> Int8,
        user_id -> Int8,
        satisfied -> Bool,
        comment -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    status_changes (id) {
        id -> Int8,
        topic_id -> Int8,
        actor_id -> Int8,
        from_status -> Text,
        to_status -> Text,
        note -> Text,
        note_html -> Text,
        fixed_in -> Nullable<Text>,
        duplicate_of -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    topic_votes (topic_id, user_id, kind) {
        topic_id -> Int8,
        user_id -> Int8,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    attachments (id) {
        id -> Int8,
        topic_id -> Int8,
        uploader_id -> Int8,
        kind -> Text,
        mime -> Text,
        size_bytes -> Int4,
        original_name -> Text,
        stored_name -> Text,
        private -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    board_follows (board_id, user_id) {
        board_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    boards (id) {
        id -> Int8,
        slug -> Text,
        name_zh -> Text,
        name_en -> Text,
        description_zh -> Text,
        description_en -> Text,
        kinds -> Array<Text>,
        position -> Int4,
        product_line -> Nullable<Text>,
        created_at -> Timestamptz,
        read_rule -> Text,
        post_rule -> Text,
        read_groups -> Array<Text>,
        post_groups -> Array<Text>,
        min_level_read -> Int2,
        min_level_post -> Int2,
    }
}

diesel::table! {
    groups (id) {
        id -> Int8,
        slug -> Text,
        name_zh -> Text,
        name_en -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    programmes (id) {
        id -> Int8,
        slug -> Text,
        name_zh -> Text,
        name_en -> Text,
        board_id -> Int8,
        product_id -> Int8,
        group_id -> Int8,
        terms_md -> Text,
        terms_version -> Int4,
        min_level -> Int2,
        min_honor -> Int4,
        min_account_days -> Int4,
        quota -> Nullable<Int4>,
        opens_at -> Nullable<Timestamptz>,
        closes_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    programme_applications (id) {
        id -> Int8,
        programme_id -> Int8,
        user_id -> Int8,
        device -> Text,
        os_version -> Text,
        reason -> Text,
        terms_version -> Int4,
        status -> Text,
        note -> Text,
        decided_by -> Nullable<Int8>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        topic_id -> Nullable<Int8>,
        post_id -> Nullable<Int8>,
        actor_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
        status_change_id -> Nullable<Int8>,
        mail_pending -> Bool,
        detail -> Text,
    }
}

diesel::table! {
    post_likes (post_id, user_id) {
        post_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> Int8,
        post_id -> Int8,
        editor_id -> Int8,
        body_md -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    posts (id) {
        id -> Int8,
        topic_id -> Int8,
        author_id -> Int8,
        parent_id -> Nullable<Int8>,
        path -> Array<Int8>,
        depth -> Int4,
        body_md -> Text,
        body_html -> Text,
        like_count -> Int4,
        hidden_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        edited_at -> Nullable<Timestamptz>,
        hidden_reason -> Nullable<Text>,
    }
}

diesel::table! {
    subscriptions (topic_id, user_id) {
        topic_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    topics (id) {
        id -> Int8,
        board_id -> Int8,
        author_id -> Int8,
        kind -> Text,
        title -> Text,
        tags -> Array<Text>,
        excerpt -> Text,
        status -> Text,
        featured -> Bool,
        pinned -> Bool,
        locked -> Bool,
        hidden_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        reply_count -> Int4,
        like_count -> Int4,
        hot_rank -> Float8,
        last_posted_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        product_id -> Nullable<Int8>,
        vote_count -> Int4,
        me_too_count -> Int4,
        trending -> Int4,
        duplicate_of -> Nullable<Int8>,
        status_changed_at -> Nullable<Timestamptz>,
        team_id -> Nullable<Int8>,
        routed_by -> Nullable<Text>,
        priority -> Float8,
        priority_breakdown -> Nullable<Jsonb>,
        sla_due_at -> Nullable<Timestamptz>,
        first_response_at -> Nullable<Timestamptz>,
        assignee_id -> Nullable<Int8>,
    }
}

diesel::table! {
    reviews (id) {
        id -> Int8,
        post_id -> Int8,
        cause -> Text,
        weight -> Float8,
        top_reason -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamptz,
        escalated_at -> Nullable<Timestamptz>,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Int8>,
        note -> Text,
    }
}

diesel::table! {
    flags (id) {
        id -> Int8,
        post_id -> Int8,
        flagger_id -> Int8,
        review_id -> Int8,
        reason -> Text,
        note -> Text,
        weight -> Float8,
        outcome -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sanctions (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        reason -> Text,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        created_by -> Int8,
        lifted_at -> Nullable<Timestamptz>,
        lifted_by -> Nullable<Int8>,
    }
}

diesel::table! {
    mod_log (id) {
        id -> Int8,
        actor_id -> Nullable<Int8>,
        action -> Text,
        topic_id -> Nullable<Int8>,
        post_id -> Nullable<Int8>,
        target_user_id -> Nullable<Int8>,
        reason -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        actor_ip -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    personal_data_access (id) {
        id -> Int8,
        staff_id -> Int8,
        subject_id -> Int8,
        what -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    honor_ledger (id) {
        id -> Int8,
        user_id -> Int8,
        reason -> Text,
        points -> Int4,
        source -> Text,
        board_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    honor_totals (user_id, board_id, period) {
        user_id -> Int8,
        board_id -> Int8,
        period -> Text,
        points -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    user_medals (user_id, medal, scope) {
        user_id -> Int8,
        medal -> Text,
        scope -> Text,
        awarded_at -> Timestamptz,
    }
}

diesel::table! {
    overdue_notices (topic_id) {
        topic_id -> Int8,
        notified_at -> Timestamptz,
        stage -> Int2,
    }
}

diesel::table! {
    triage_views (id) {
        id -> Int8,
        user_id -> Int8,
        name -> Text,
        filters -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    teams (id) {
        id -> Int8,
        slug -> Text,
        name_zh -> Text,
        name_en -> Text,
        sla_crash_hours -> Int4,
        sla_major_hours -> Int4,
        sla_minor_hours -> Int4,
        sla_idea_hours -> Int4,
        created_at -> Timestamptz,
        webhook_url -> Nullable<Text>,
        webhook_secret -> Nullable<Text>,
    }
}

diesel::table! {
    team_members (team_id, user_id) {
        team_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    routing_rules (id) {
        id -> Int8,
        position -> Int4,
        team_id -> Int8,
        board -> Nullable<Text>,
        product -> Nullable<Text>,
        product_line -> Nullable<Text>,
        kind -> Nullable<Text>,
        tags -> Array<Text>,
        keywords -> Array<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    held_usernames (key_hash) {
        key_hash -> Bytea,
        held_until -> Timestamptz,
    }
}

diesel::table! {
    erasures (id) {
        id -> Int8,
        user_id -> Int8,
        requested_by -> Text,
        actor_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    export_files (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Bytea,
        file_name -> Text,
        size_bytes -> Int8,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(consents -> users (user_id));
diesel::joinable!(mail_outbox -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(board_follows -> boards (board_id));
diesel::joinable!(board_follows -> users (user_id));
diesel::joinable!(notifications -> topics (topic_id));
diesel::joinable!(post_likes -> posts (post_id));
diesel::joinable!(post_likes -> users (user_id));
diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(post_revisions -> users (editor_id));
diesel::joinable!(posts -> topics (topic_id));
diesel::joinable!(posts -> users (author_id));
diesel::joinable!(subscriptions -> topics (topic_id));
diesel::joinable!(subscriptions -> users (user_id));
diesel::joinable!(topics -> boards (board_id));
diesel::joinable!(topics -> users (author_id));
diesel::joinable!(topics -> products (product_id));
diesel::joinable!(attachments -> topics (topic_id));
diesel::joinable!(attachments -> users (uploader_id));
diesel::joinable!(bug_reports -> products (product_id));
diesel::joinable!(bug_reports -> topics (topic_id));
diesel::joinable!(satisfaction -> users (user_id));
diesel::joinable!(status_changes -> users (actor_id));
diesel::joinable!(topic_votes -> users (user_id));
diesel::joinable!(reviews -> posts (post_id));
diesel::joinable!(flags -> reviews (review_id));
diesel::joinable!(flags -> users (flagger_id));
diesel::joinable!(sanctions -> users (user_id));
diesel::joinable!(honor_ledger -> users (user_id));
diesel::joinable!(honor_totals -> users (user_id));
diesel::joinable!(user_medals -> users (user_id));
diesel::joinable!(internal_notes -> topics (topic_id));
diesel::joinable!(internal_notes -> users (author_id));
diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(programme_applications -> programmes (programme_id));
diesel::joinable!(programme_applications -> users (user_id));
diesel::joinable!(programmes -> boards (board_id));
diesel::joinable!(programmes -> products (product_id));
diesel::joinable!(programmes -> groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(routing_rules -> teams (team_id));
diesel::joinable!(topics -> teams (team_id));
diesel::joinable!(triage_views -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_tokens,
    attachments,
    board_follows,
    boards,
    bug_reports,
    consents,
    erasures,
    export_files,
    flags,
    group_members,
    groups,
    held_usernames,
    internal_notes,
    honor_ledger,
    honor_totals,
    jobs,
    mail_outbox,
    mod_log,
    notifications,
    overdue_notices,
    personal_data_access,
    post_likes,
    post_revisions,
    posts,
    products,
    programme_applications,
    programmes,
    rate_limits,
    reviews,
    routing_rules,
    sanctions,
    satisfaction,
    search_outbox,
    search_outbox_pruned,
    sessions,
    status_changes,
    subscriptions,
    team_members,
    teams,
    topic_votes,
    topics,
    triage_views,
    user_medals,
    users,
);
