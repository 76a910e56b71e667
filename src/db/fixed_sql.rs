//! SQL fragments whose text is fixed when the program is built. diesel's `sql()` takes any
//! string, so it marks every query holding one as unsafe to keep as a prepared statement, and
//! each run pays PostgreSQL's parse and plan again (most of a queue page). These take only
//! `&'static str`, so a query built from them is cached by its text like any other.
//!
//! Use them for what diesel's DSL cannot say (a partial index's own predicate, a row
//! comparison, an ordering expression); bind every value, never format it into the text.

use diesel::backend::Backend;
use diesel::expression::{
    is_aggregate, AppearsOnTable, AsExpression, Expression, SelectableExpression,
    TypedExpressionType, ValidGrouping,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::SqlType;
use diesel::QueryResult;
use std::marker::PhantomData;

/// `sql` as an expression of type `ST`, after whatever came before it (`inner`).
#[derive(Debug, Clone)]
pub struct Fixed<ST, T = Start> {
    inner: T,
    sql: &'static str,
    _type: PhantomData<ST>,
}

/// Nothing before the first fragment.
#[derive(Debug, Clone, Copy)]
pub struct Start;

/// A fragment followed by one bound value.
#[derive(Debug, Clone)]
pub struct Bind<Q, V> {
    query: Q,
    value: V,
}

/// A fragment of fixed SQL of type `ST`.
pub fn fixed<ST: TypedExpressionType>(sql: &'static str) -> Fixed<ST> {
    Fixed {
        inner: Start,
        sql,
        _type: PhantomData,
    }
}

impl<ST: TypedExpressionType, T> Fixed<ST, T> {
    pub fn bind<BT, U>(self, value: U) -> Bind<Self, U::Expression>
    where
        BT: SqlType + TypedExpressionType,
        U: AsExpression<BT>,
    {
        Bind {
            query: self,
            value: value.as_expression(),
        }
    }
}

impl<Q: Expression, V> Bind<Q, V> {
    pub fn sql(self, sql: &'static str) -> Fixed<Q::SqlType, Self> {
        Fixed {
            inner: self,
            sql,
            _type: PhantomData,
        }
    }
}

impl<ST: TypedExpressionType, T> Expression for Fixed<ST, T> {
    type SqlType = ST;
}

impl<Q: Expression, V> Expression for Bind<Q, V> {
    type SqlType = Q::SqlType;
}

impl<DB: Backend> QueryFragment<DB> for Start {
    fn walk_ast<'b>(&'b self, _: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        Ok(())
    }
}

impl<ST, T: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Fixed<ST, T> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.inner.walk_ast(out.reborrow())?;
        out.push_sql(self.sql);
        Ok(())
    }
}

impl<Q: QueryFragment<DB>, V: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Bind<Q, V> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        self.value.walk_ast(out.reborrow())?;
        Ok(())
    }
}

// No static id: two fragments of one type differ in their text, so the cache must key on it.
impl<ST, T> QueryId for Fixed<ST, T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, V> QueryId for Bind<Q, V> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS, ST, T> SelectableExpression<QS> for Fixed<ST, T> where Self: Expression {}
impl<QS, ST, T> AppearsOnTable<QS> for Fixed<ST, T> where Self: Expression {}
impl<ST, T, GB> ValidGrouping<GB> for Fixed<ST, T> {
    type IsAggregate = is_aggregate::Never;
}
impl<QS, Q, V> SelectableExpression<QS> for Bind<Q, V> where Self: Expression {}
impl<QS, Q, V> AppearsOnTable<QS> for Bind<Q, V> where Self: Expression {}
impl<Q, V, GB> ValidGrouping<GB> for Bind<Q, V> {
    type IsAggregate = is_aggregate::Never;
}
