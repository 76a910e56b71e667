DROP INDEX topics_pinned;
