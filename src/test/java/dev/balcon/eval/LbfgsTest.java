package dev.balcon.eval;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LbfgsTest {

    /** f(x) = 1/2 x'Ax - b'x with A = Q diag(1..100) Q' (condition number 100); the minimum solves Ax = b. */
    private record Quadratic(double[][] a, double[] b) implements Lbfgs.Objective {
        static Quadratic random(int n, Random random) {
            double[][] a = new double[n][n];
            double[][] basis = randomOrthonormal(n, random);
            for (int i = 0; i < n; i++) {
                double eigenvalue = 1 + 99.0 * i / (n - 1);
                for (int r = 0; r < n; r++) {
                    for (int c = 0; c < n; c++) {
                        a[r][c] += eigenvalue * basis[i][r] * basis[i][c];
                    }
                }
            }
            double[] b = new double[n];
            for (int i = 0; i < n; i++) {
                b[i] = random.nextGaussian();
            }
            return new Quadratic(a, b);
        }

        @Override
        public double evaluate(double[] x, double[] gradient) {
            double value = 0;
            for (int r = 0; r < b.length; r++) {
                double ax = 0;
                for (int c = 0; c < b.length; c++) {
                    ax += a[r][c] * x[c];
                }
                gradient[r] = ax - b[r];
                value += 0.5 * x[r] * ax - b[r] * x[r];
            }
            return value;
        }
    }

    @Test
    void findsTheMinimumOfAnIllConditionedQuadratic() {
        Quadratic quadratic = Quadratic.random(20, new Random(5));
        Lbfgs.Outcome outcome = new Lbfgs(10, 500, 1e-8, 0).minimize(quadratic, new double[20]);

        double[] expected = solve(quadratic.a(), quadratic.b());
        for (int i = 0; i < expected.length; i++) {
            assertThat(outcome.solution()[i]).isCloseTo(expected[i], within(1e-8));
        }
        assertThat(outcome.iterations()).isLessThan(100);
    }

    @Test
    void stopsOnceAnIterationNoLongerLowersTheValueMeaningfully() {
        Quadratic quadratic = Quadratic.random(20, new Random(6));
        // With the gradient test switched off, only the value test can end the run before the limit.
        Lbfgs.Outcome outcome = new Lbfgs(10, 500, 0, 1e-12).minimize(quadratic, new double[20]);

        double[] expected = solve(quadratic.a(), quadratic.b());
        assertThat(outcome.iterations()).isLessThan(100);
        for (int i = 0; i < expected.length; i++) {
            assertThat(outcome.solution()[i]).isCloseTo(expected[i], within(1e-5));
        }
    }

    @Test
    void followsTheRosenbrockValleyToItsMinimum() {
        Lbfgs.Objective rosenbrock = (x, gradient) -> {
            double u = 1 - x[0];
            double v = x[1] - x[0] * x[0];
            gradient[0] = -2 * u - 400 * x[0] * v;
            gradient[1] = 200 * v;
            return u * u + 100 * v * v;
        };
        Lbfgs.Outcome outcome = new Lbfgs(10, 1000, 1e-9, 0).minimize(rosenbrock, new double[] {-1.2, 1});
        assertThat(outcome.solution()[0]).isCloseTo(1, within(1e-6));
        assertThat(outcome.solution()[1]).isCloseTo(1, within(1e-6));
        assertThat(outcome.value()).isLessThan(1e-12);
    }

    @Test
    void stopsAtTheIterationLimitWithTheLastAcceptedPoint() {
        int[] evaluations = {0};
        Lbfgs.Objective rosenbrock = (x, gradient) -> {
            evaluations[0]++;
            double u = 1 - x[0];
            double v = x[1] - x[0] * x[0];
            gradient[0] = -2 * u - 400 * x[0] * v;
            gradient[1] = 200 * v;
            return u * u + 100 * v * v;
        };
        Lbfgs.Outcome outcome = new Lbfgs(10, 3, 1e-9, 0).minimize(rosenbrock, new double[] {-1.2, 1});
        assertThat(outcome.iterations()).isEqualTo(3);
        assertThat(outcome.value()).isLessThan(24.2); // f(-1.2, 1) = 24.2; every accepted step decreases f
        double[] gradient = new double[2];
        assertThat(rosenbrock.evaluate(outcome.solution(), gradient)).isEqualTo(outcome.value());
        assertThat(evaluations[0]).isGreaterThanOrEqualTo(4);
    }

    private static double[][] randomOrthonormal(int n, Random random) {
        double[][] vectors = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                vectors[i][j] = random.nextGaussian();
            }
            for (int k = 0; k < i; k++) {
                double projection = 0;
                for (int j = 0; j < n; j++) {
                    projection += vectors[i][j] * vectors[k][j];
                }
                for (int j = 0; j < n; j++) {
                    vectors[i][j] -= projection * vectors[k][j];
                }
            }
            double norm = 0;
            for (int j = 0; j < n; j++) {
                norm += vectors[i][j] * vectors[i][j];
            }
            for (int j = 0; j < n; j++) {
                vectors[i][j] /= Math.sqrt(norm);
            }
        }
        return vectors;
    }

    /** Gaussian elimination with partial pivoting. */
    private static double[] solve(double[][] matrix, double[] rhs) {
        int n = rhs.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = java.util.Arrays.copyOf(matrix[i], n + 1);
            m[i][n] = rhs[i];
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) {
                    pivot = r;
                }
            }
            double[] swap = m[col];
            m[col] = m[pivot];
            m[pivot] = swap;
            for (int r = col + 1; r < n; r++) {
                double factor = m[r][col] / m[col][col];
                for (int c = col; c <= n; c++) {
                    m[r][c] -= factor * m[col][c];
                }
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double sum = m[r][n];
            for (int c = r + 1; c < n; c++) {
                sum -= m[r][c] * x[c];
            }
            x[r] = sum / m[r][r];
        }
        return x;
    }
}
