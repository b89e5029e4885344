package dev.balcon.retrieval;

/**
 * One search result.
 *
 * @param row        the vector's row in the embeddings file, from 0
 * @param similarity cosine similarity to the query, in [-1, 1] (0 when either vector is all zeros)
 */
public record Neighbor(long row, float similarity) {}
