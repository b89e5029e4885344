package dev.balcon.eval;

/**
 * Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, algorithm 7.4: the two-loop recursion)
 * with a backtracking Armijo line search, over a flat parameter vector of doubles. Deterministic: the same
 * objective and start give the same iterates.
 */
final class Lbfgs {
    /** A smooth function to minimise. */
    interface Objective {
        /** Returns f(x) and writes its gradient at x into {@code gradient} (same length as x). */
        double evaluate(double[] x, double[] gradient);
    }

    /** Where the minimisation stopped: the last accepted point, its value and the iterations taken. */
    record Outcome(double[] solution, double value, int iterations) {}

    private static final double ARMIJO_SLOPE = 1e-4;
    private static final int MAX_BACKTRACKS = 30;

    private final int history;
    private final int maxIterations;
    private final double gradientTolerance;
    private final double valueTolerance;

    /**
     * @param history           curvature pairs kept
     * @param maxIterations     line searches at most
     * @param gradientTolerance stop once the largest gradient entry is at most this
     * @param valueTolerance    stop once an iteration lowers f by at most this times max(|f|, 1) (SciPy's ftol):
     *                          below the objective's own rounding noise, further steps only spend time
     */
    Lbfgs(int history, int maxIterations, double gradientTolerance, double valueTolerance) {
        this.history = history;
        this.maxIterations = maxIterations;
        this.gradientTolerance = gradientTolerance;
        this.valueTolerance = valueTolerance;
    }

    Outcome minimize(Objective objective, double[] start) {
        int n = start.length;
        double[] x = start.clone();
        double[] gradient = new double[n];
        double value = objective.evaluate(x, gradient);
        double[][] steps = new double[history][];
        double[][] gradientChanges = new double[history][];
        double[] inverseCurvatures = new double[history];
        int stored = 0;
        int newest = -1;
        double[] trial = new double[n];
        double[] trialGradient = new double[n];
        int iteration = 0;
        while (iteration < maxIterations && maxAbs(gradient) > gradientTolerance) {
            double[] direction = searchDirection(gradient, steps, gradientChanges, inverseCurvatures, stored, newest);
            double slope = dot(gradient, direction);
            if (!(slope < 0)) {
                // Curvature pairs gone stale in floating point: restart from steepest descent.
                stored = 0;
                direction = negated(gradient);
                slope = -dot(gradient, gradient);
            }
            // Without curvature pairs the direction has the gradient's scale, so the first step is shortened
            // to a unit-length move (as in PyTorch's LBFGS); afterwards the quasi-Newton step of 1 is natural.
            double stepSize = stored == 0 ? Math.min(1, 1 / norm1(gradient)) : 1;
            double trialValue = Double.NaN;
            boolean accepted = false;
            for (int backtrack = 0; backtrack < MAX_BACKTRACKS && !accepted; backtrack++) {
                for (int i = 0; i < n; i++) {
                    trial[i] = x[i] + stepSize * direction[i];
                }
                trialValue = objective.evaluate(trial, trialGradient);
                accepted = trialValue <= value + ARMIJO_SLOPE * stepSize * slope;
                if (!accepted) {
                    stepSize /= 2;
                }
            }
            if (!accepted) {
                break; // no decrease measurable at the objective's precision: as converged as it gets
            }
            iteration++;
            double[] step = new double[n];
            double[] gradientChange = new double[n];
            for (int i = 0; i < n; i++) {
                step[i] = trial[i] - x[i];
                gradientChange[i] = trialGradient[i] - gradient[i];
            }
            double curvature = dot(step, gradientChange);
            // Only pairs with positive curvature keep the inverse-Hessian estimate positive definite.
            if (curvature > 1e-10 * dot(gradientChange, gradientChange)) {
                newest = (newest + 1) % history;
                steps[newest] = step;
                gradientChanges[newest] = gradientChange;
                inverseCurvatures[newest] = 1 / curvature;
                stored = Math.min(stored + 1, history);
            }
            System.arraycopy(trial, 0, x, 0, n);
            System.arraycopy(trialGradient, 0, gradient, 0, n);
            double decrease = value - trialValue;
            value = trialValue;
            if (decrease <= valueTolerance * Math.max(Math.abs(value), 1)) {
                break;
            }
        }
        return new Outcome(x, value, iteration);
    }

    /** -H g by the two-loop recursion, H the inverse-Hessian estimate from the stored pairs. */
    private static double[] searchDirection(double[] gradient, double[][] steps, double[][] gradientChanges,
                                            double[] inverseCurvatures, int stored, int newest) {
        double[] q = negated(gradient);
        if (stored == 0) {
            return q;
        }
        int history = steps.length;
        double[] alphas = new double[history];
        for (int k = 0, j = newest; k < stored; k++, j = (j - 1 + history) % history) {
            alphas[j] = inverseCurvatures[j] * dot(steps[j], q);
            axpy(-alphas[j], gradientChanges[j], q);
        }
        // Initial inverse Hessian gamma * I with gamma = s'y / y'y of the newest pair.
        double gamma = 1 / (inverseCurvatures[newest] * dot(gradientChanges[newest], gradientChanges[newest]));
        for (int i = 0; i < q.length; i++) {
            q[i] *= gamma;
        }
        int oldest = (newest - stored + 1 + history) % history;
        for (int k = 0, j = oldest; k < stored; k++, j = (j + 1) % history) {
            double beta = inverseCurvatures[j] * dot(gradientChanges[j], q);
            axpy(alphas[j] - beta, steps[j], q);
        }
        return q;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double[] negated(double[] v) {
        double[] result = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            result[i] = -v[i];
        }
        return result;
    }

    private static double maxAbs(double[] v) {
        double max = 0;
        for (double e : v) {
            max = Math.max(max, Math.abs(e));
        }
        return max;
    }

    private static double norm1(double[] v) {
        double sum = 0;
        for (double e : v) {
            sum += Math.abs(e);
        }
        return sum;
    }
}
