use crate::support::{cluster, fresh_database, repo_root};
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::BTreeSet;

#[derive(diesel::QueryableByName, Debug)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

#[derive(diesel::QueryableByName, Debug)]
struct Unindexed {
    #[diesel(sql_type = Text)]
    tbl: String,
    #[diesel(sql_type = Text)]
    col: String,
}

#[actix_web::test]
async fn every_foreign_key_is_indexed() {
    let url = fresh_database().await;
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    let missing: Vec<Unindexed> = diesel::sql_query(
        "SELECT c.conrelid::regclass::text AS tbl, a.attname::text AS col
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND NOT EXISTS (
             SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<String> = missing
        .iter()
        .map(|u| format!("{}.{}", u.tbl, u.col))
        .collect();
    assert!(names.is_empty(), "foreign keys without an index: {names:?}");
}

#[actix_web::test]
async fn migrations_run_up_down_up() {
    let c = cluster();
    let name = format!("updown_{}", std::process::id());
    chorus::db::ensure_database(&c.cluster.url("postgres"), &name)
        .await
        .unwrap();
    let url = c.cluster.url(&name);
    let up = chorus::db::migrate(&url).await.unwrap();
    assert!(!up.is_empty());
    let down = chorus::db::revert_all(&url).await.unwrap();
    assert_eq!(down, up.len());
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    let left = columns(&mut conn).await;
    assert!(
        left.is_empty(),
        "down migrations leave tables behind: {left:?}"
    );
    let again = chorus::db::migrate(&url).await.unwrap();
    assert_eq!(again.len(), up.len());
}

async fn columns(conn: &mut AsyncPgConnection) -> Vec<Col> {
    diesel::sql_query(
        "SELECT table_name::text, column_name::text, udt_name::text, (is_nullable = 'YES') AS nullable
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .await
    .unwrap()
}

/// `src/db/schema.rs` is written by hand from the migrations; this keeps the two in step.
#[actix_web::test]
async fn schema_rs_matches_the_migrated_database() {
    let url = fresh_database().await;
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    let db: BTreeSet<(String, String, String, bool)> = columns(&mut conn)
        .await
        .into_iter()
        // Arrays: information_schema says `_text`/`_int8`; schema.rs says `Array<..>`.
        .map(|c| {
            let udt = if c.udt_name.starts_with('_') {
                "_array".to_string()
            } else {
                c.udt_name
            };
            (c.table_name, c.column_name, udt, c.nullable)
        })
        .collect();
    let text = std::fs::read_to_string(repo_root().join("src/db/schema.rs")).unwrap();
    let declared = parse_schema_rs(&text);
    let only_db: Vec<_> = db.difference(&declared).collect();
    let only_rs: Vec<_> = declared.difference(&db).collect();
    assert!(
        only_db.is_empty() && only_rs.is_empty(),
        "in the database only: {only_db:?}\nin schema.rs only: {only_rs:?}"
    );
}

fn parse_schema_rs(text: &str) -> BTreeSet<(String, String, String, bool)> {
    let mut out = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("diesel::joinable") || line.starts_with("diesel::allow_tables") {
            table = None;
            continue;
        }
        if let Some(rest) = line.strip_suffix('{') {
            let name = rest.trim().split(' ').next().unwrap_or("");
            if !name.is_empty() && name != "diesel::table!" && !name.starts_with("diesel") {
                table = Some(name.to_string());
            }
            continue;
        }
        if line.starts_with('}') {
            continue;
        }
        let (Some(t), Some((col, ty))) = (&table, line.trim_end_matches(',').split_once("->"))
        else {
            continue;
        };
        let ty = ty.trim();
        let ty = if ty.starts_with("Array<") {
            "Array"
        } else {
            ty
        };
        let (nullable, inner) = match ty
            .strip_prefix("Nullable<")
            .and_then(|s| s.strip_suffix('>'))
        {
            Some(i) => (true, i),
            None => (false, ty),
        };
        let udt = match inner {
            "Int8" => "int8",
            "Int4" => "int4",
            "Int2" => "int2",
            "Text" => "text",
            "Bool" => "bool",
            "Timestamptz" => "timestamptz",
            "Jsonb" => "jsonb",
            "Bytea" => "bytea",
            "Float8" => "float8",
            "Array" => "_array",
            other => panic!("add a mapping for {other}"),
        };
        out.insert((t.clone(), col.trim().to_string(), udt.to_string(), nullable));
    }
    out
}
