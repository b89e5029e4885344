package dev.balcon.train;

/**
 * How a pretraining run ended.
 *
 * @param status          "finished" or "diverged" (a non-finite loss or parameter stopped the run)
 * @param epochsDone      completed epochs
 * @param globalStep      optimizer steps taken (for a diverged run: the step whose loss or update was not finite)
 * @param finalLoss       mean loss of the last completed epoch (NaN if none)
 * @param trainSeconds    wall time spent training in this process (resumed runs count only their part)
 * @param imagesPerSecond training throughput in images (two views each) per second, augmentation included
 */
public record PretrainResult(String status, int epochsDone, long globalStep, double finalLoss,
                             double trainSeconds, double imagesPerSecond) {
    public static final String FINISHED = "finished";
    public static final String DIVERGED = "diverged";

    public boolean diverged() {
        return DIVERGED.equals(status);
    }
}
