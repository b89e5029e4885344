package dev.balcon.eval;

/**
 * Accuracy of a linear classifier trained on frozen features, with the protocol that produced it.
 *
 * @param top1       fraction of test images whose highest-scoring class is their label, in [0, 1]
 * @param top5       fraction whose label is among the five highest-scoring classes; null (not applicable) with
 *                   5 classes or fewer, where every label is
 * @param protocol   the training protocol in words
 * @param trainSize  training images
 * @param testSize   test images
 * @param featureDim feature dimension
 * @param iterations L-BFGS iterations actually taken (fewer than the limit when it converged first)
 * @param trainLoss  final training objective: mean cross-entropy plus the L2 penalty
 */
public record LinearProbeResult(double top1, Double top5, String protocol, int trainSize, int testSize, int featureDim,
                                int iterations, double trainLoss) {
}
