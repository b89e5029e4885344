package dev.balcon.analysis;

import dev.balcon.BalconException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PcaTest {

    @Test
    void pointsOnAKnownPlaneGiveItsTwoDirectionsAndTheirVariancesExactly() {
        // x = c + s u + t v on a symmetric grid: s and t are uncorrelated, so the covariance is
        // var(s) u u^T + var(t) v v^T and the rest of the spectrum is 0
        double[] u = normalise(new double[] {1, 2, 0, -1, 3});
        double[] v = normalise(orthogonalTo(new double[] {0, 1, 1, 1, 0}, u));
        double[] c = {100, -50, 7, 1e3, 0};
        double[] s = {-6, -3, 0, 3, 6};
        double[] t = {-1, 0, 1};
        float[][] data = new float[s.length * t.length][5];
        int n = 0;
        for (double si : s) {
            for (double ti : t) {
                for (int j = 0; j < 5; j++) {
                    data[n][j] = (float) (c[j] + si * u[j] + ti * v[j]);
                }
                n++;
            }
        }
        // sample variances (n - 1) over the 15 grid points: s takes each value 3 times, t each 5 times
        double varS = 3 * (36 + 9 + 0 + 9 + 36) / 14.0;
        double varT = 5 * (1 + 0 + 1) / 14.0;

        Pca.Result pca = Pca.fit(data);

        // float32 inputs near 1e3 carry rounding of ~6e-5, which bounds the agreement
        assertThat(pca.rows()).isEqualTo(15);
        assertThat(pca.variances()[0]).isCloseTo(varS, within(1e-3));
        assertThat(pca.variances()[1]).isCloseTo(varT, within(1e-3));
        for (int k = 2; k < 5; k++) {
            assertThat(Math.abs(pca.variances()[k])).isLessThan(1e-6);
        }
        assertThat(Math.abs(dot(pca.components()[0], u))).isCloseTo(1, within(1e-7));
        assertThat(Math.abs(dot(pca.components()[1], v))).isCloseTo(1, within(1e-6));
        assertThat(pca.explainedRatio(0)).isCloseTo(varS / (varS + varT), within(1e-6));
        for (int j = 0; j < 5; j++) {
            assertThat(pca.mean()[j]).isCloseTo(c[j], within(1e-4));
        }
        // the first point projects to (s, t) = (-6, -1), up to each component's sign
        double[] projected = pca.project(data[0], 2);
        assertThat(projected[0]).isCloseTo(-6 * Math.signum(dot(pca.components()[0], u)), within(1e-3));
        assertThat(projected[1]).isCloseTo(-1 * Math.signum(dot(pca.components()[1], v)), within(1e-3));
    }

    @Test
    void anAnisotropicGaussianGivesItsLongAxisAndItsShareOfTheVariance() {
        Random random = new Random(7);
        double[] sigma = {3, 1, 0.5, 0.2, 0.1, 0.1};
        double[][] basis = randomOrthonormalBasis(sigma.length, random);
        Pca.Accumulator accumulator = new Pca.Accumulator(sigma.length);
        for (int i = 0; i < 50_000; i++) {
            float[] row = new float[sigma.length];
            for (int k = 0; k < sigma.length; k++) {
                double z = sigma[k] * random.nextGaussian();
                for (int j = 0; j < sigma.length; j++) {
                    row[j] += (float) (z * basis[k][j]);
                }
            }
            accumulator.add(row);
        }
        Pca.Result pca = accumulator.fit();

        double total = 0;
        for (double value : sigma) {
            total += value * value;
        }
        // sampling error of a variance over 50 000 draws is about sqrt(2 / 50 000) = 0.6% of it
        assertThat(Math.abs(dot(pca.components()[0], basis[0]))).isGreaterThan(0.9995);
        assertThat(Math.abs(dot(pca.components()[1], basis[1]))).isGreaterThan(0.999);
        assertThat(pca.variances()[0]).isCloseTo(9, within(9 * 0.03));
        assertThat(pca.explainedRatio(0)).isCloseTo(9 / total, within(0.01));
        assertThat(pca.explainedRatio(1)).isCloseTo(1 / total, within(0.005));
    }

    @Test
    void symmetricEigenOfATwoByTwoAndOfARandomMatrix() {
        Pca.Eigen small = Pca.symmetricEigen(new double[][] {{2, 1}, {1, 2}});
        assertThat(small.values()).containsExactly(new double[] {3, 1}, within(1e-14));
        double r = Math.sqrt(0.5);
        assertThat(small.vectors()[0]).containsExactly(new double[] {r, r}, within(1e-14));
        assertThat(small.vectors()[1]).containsExactly(new double[] {r, -r}, within(1e-14));

        Random random = new Random(3);
        int n = 40;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                a[i][j] = a[j][i] = random.nextGaussian();
            }
        }
        Pca.Eigen eigen = Pca.symmetricEigen(a);
        for (int k = 0; k < n; k++) {
            if (k > 0) {
                assertThat(eigen.values()[k]).isLessThanOrEqualTo(eigen.values()[k - 1]);
            }
            double[] vector = eigen.vectors()[k];
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int j = 0; j < n; j++) {
                    av += a[i][j] * vector[j];
                }
                assertThat(av).isCloseTo(eigen.values()[k] * vector[i], within(1e-10));
            }
            for (int l = 0; l <= k; l++) {
                assertThat(dot(vector, eigen.vectors()[l])).isCloseTo(k == l ? 1 : 0, within(1e-12));
            }
        }
    }

    @Test
    void tooFewRowsOrANonFiniteValueAreRefused() {
        assertThatThrownBy(() -> Pca.fit(new float[][] {{1, 2}}))
                .isInstanceOf(BalconException.class).hasMessageContaining("at least 2 rows, got 1");
        Pca.Accumulator accumulator = new Pca.Accumulator(2);
        accumulator.add(new float[] {1, 2});
        assertThatThrownBy(() -> accumulator.add(new float[] {1, Float.NaN}))
                .isInstanceOf(BalconException.class).hasMessageContaining("row 1").hasMessageContaining("column 1");
        assertThatThrownBy(() -> accumulator.add(new float[] {1, 2, 3}))
                .isInstanceOf(BalconException.class).hasMessageContaining("3 values, expected 2");
    }

    private static double[][] randomOrthonormalBasis(int n, Random random) {
        double[][] basis = new double[n][];
        for (int k = 0; k < n; k++) {
            double[] vector = new double[n];
            for (int j = 0; j < n; j++) {
                vector[j] = random.nextGaussian();
            }
            for (int l = 0; l < k; l++) {
                vector = orthogonalTo(vector, basis[l]);
            }
            basis[k] = normalise(vector);
        }
        return basis;
    }

    private static double[] orthogonalTo(double[] vector, double[] unit) {
        double projection = dot(vector, unit);
        double[] result = vector.clone();
        for (int j = 0; j < result.length; j++) {
            result[j] -= projection * unit[j];
        }
        return result;
    }

    private static double[] normalise(double[] vector) {
        double norm = Math.sqrt(dot(vector, vector));
        double[] result = vector.clone();
        for (int j = 0; j < result.length; j++) {
            result[j] /= norm;
        }
        return result;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int j = 0; j < a.length; j++) {
            sum += a[j] * b[j];
        }
        return sum;
    }
}
