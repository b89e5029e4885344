package dev.balcon;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The device balcon's jobs compute on: every NDManager a job creates (training, the evaluations, the
 * instruments, embed and export) is created on {@link #current()}, so the model's parameters and every array
 * made from Java data land there. The default is the CPU, whatever DJL's engine would choose by itself (it
 * picks GPU 0 when it finds one). The command line sets it from {@code --device} for one command, as it sets
 * {@link Progress#current()}.
 */
public final class ComputeDevice {
    private static final Pattern GPU_WITH_INDEX = Pattern.compile("gpu:(\\d{1,9})");
    private static volatile Device current = Device.cpu();

    private ComputeDevice() {}

    /** The device jobs compute on, {@link Device#cpu()} unless replaced with {@link #setCurrent}. */
    public static Device current() {
        return current;
    }

    /** Makes {@code device} the one jobs compute on from now on. */
    public static void setCurrent(Device device) {
        current = Objects.requireNonNull(device, "device");
    }

    /**
     * Parses the name of a device: {@code cpu}; {@code gpu} (GPU 0); {@code gpu:N} (GPU N, counted from 0);
     * {@code auto} (GPU 0 where DJL finds a GPU, else the CPU). Case is ignored.
     *
     * @param name the device's name
     * @return the DJL device
     * @throws BalconException naming the field {@code device} if the name is none of these, a GPU is asked for
     *     where DJL's PyTorch engine finds none (the CPU-only native library is loaded, or no CUDA driver), or
     *     the index is not below the number of GPUs found
     */
    public static Device parse(String name) {
        String text = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (text.equals("cpu")) {
            return Device.cpu();
        }
        int gpus = Engine.getInstance().getGpuCount();
        if (text.equals("auto")) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        int index;
        Matcher matcher = GPU_WITH_INDEX.matcher(text);
        if (text.equals("gpu")) {
            index = 0;
        } else if (matcher.matches()) {
            index = Integer.parseInt(matcher.group(1));
        } else {
            throw new BalconException("device must be cpu, gpu, gpu:N or auto, got '" + name + "'");
        }
        if (gpus == 0) {
            throw new BalconException("device " + text + ": DJL's PyTorch engine finds no GPU (it runs on its CPU "
                    + "native library, or there is no CUDA driver); use cpu, or see docs/devices.md");
        }
        if (index >= gpus) {
            throw new BalconException("device " + text + ": DJL finds " + gpus + " GPU" + (gpus == 1 ? "" : "s")
                    + ", numbered gpu:0 to gpu:" + (gpus - 1));
        }
        return Device.gpu(index);
    }
}
