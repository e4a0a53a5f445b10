"""The GraphQL API (strawberry): one schema for every party (DESIGN §7).

It lives inside ``aspe`` because a top-level ``graphql`` package would shadow graphql-core.
Filled by the GraphQL issue.
"""
