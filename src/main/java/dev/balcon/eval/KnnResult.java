package dev.balcon.eval;

/**
 * Top-1 accuracy of a weighted k-NN vote, with the protocol that produced it.
 *
 * @param top1        fraction of queries whose predicted class is their label, in [0, 1]
 * @param k           neighbours that voted per query: the k asked for, or the memory size if that is smaller
 * @param requestedK  the k asked for
 * @param temperature temperature of the vote weights exp(s / T)
 * @param queries     number of query images
 * @param memory      number of memory-bank images
 */
public record KnnResult(double top1, int k, int requestedK, double temperature, int queries, int memory) {
    public String protocol() {
        String neighbours = k == requestedK ? "k=" + k
                : "k=" + k + ", every memory image, as k=" + requestedK + " exceeds the memory bank";
        return String.format("weighted k-NN (cosine, %s, T=%s), %d memory images, %d queries", neighbours,
                stripZeros(temperature), memory, queries);
    }

    private static String stripZeros(double value) {
        return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
