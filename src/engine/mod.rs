//! The engine: refinement ([`refine`], writing covers with [`cover`]), its
//! proof ([`verify`]), and the one pipeline that joins them
//! ([`checked`]): nothing refine writes comes from anywhere else.
//! [`account`] runs that pipeline over a whole account.

pub mod account;
pub mod checked;
pub mod cover;
pub mod refine;
pub mod verify;
