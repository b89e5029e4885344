package dev.balcon.augment;

/** A pixel rectangle of an image: rows {@code [top, top + height)}, columns {@code [left, left + width)}. */
public record Box(int top, int left, int height, int width) {
    public int area() {
        return height * width;
    }
}
